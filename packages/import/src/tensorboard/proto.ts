import protobuf from "protobufjs";

/**
 * The few TensorFlow / TensorBoard messages an event file needs, declared here by their field
 * numbers (tensorflow/core/util/event.proto, framework/summary.proto, framework/tensor.proto,
 * tensorboard/plugins/hparams/plugin_data.proto). Parts exprun skips (graphs, images, histograms,
 * audio, run metadata, log messages) are declared as `bytes`: they are counted, never decoded.
 */
const PROTO = `
syntax = "proto3";
package exprun.tb;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    bytes log_message = 6;
    bytes session_log = 7;
    bytes tagged_run_metadata = 8;
    bytes meta_graph_def = 9;
  }
}

message Summary {
  repeated Value value = 1;
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      bytes image = 4;
      bytes histo = 5;
      bytes audio = 6;
      TensorProto tensor = 8;
    }
  }
}

message SummaryMetadata {
  PluginData plugin_data = 1;
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
}

message TensorShapeProto {
  repeated Dim dim = 2;
  message Dim { int64 size = 1; }
}

message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  bytes tensor_content = 4;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
}

message HParamsPluginData {
  int32 version = 1;
  oneof data {
    bytes experiment = 2;
    SessionStartInfo session_start_info = 3;
    SessionEndInfo session_end_info = 4;
  }
}

message SessionStartInfo {
  map<string, ProtoValue> hparams = 1;
  string group_name = 4;
  double start_time_secs = 5;
}

message SessionEndInfo {
  int32 status = 1;
  double end_time_secs = 2;
}

// google.protobuf.Value, by its field numbers.
message ProtoValue {
  oneof kind {
    int32 null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    bytes struct_value = 5;
    bytes list_value = 6;
  }
}
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;

/** int64 fields decode as `Long` objects (the `long` package is installed with protobufjs) or numbers. */
export type Int64 = number | { low: number; high: number };

export interface TbEvent {
  wall_time: number;
  step: Int64;
  file_version: string;
  graph_def: Uint8Array;
  summary?: { value: TbSummaryValue[] } | null;
  log_message: Uint8Array;
  session_log: Uint8Array;
  tagged_run_metadata: Uint8Array;
  meta_graph_def: Uint8Array;
}

export interface TbSummaryValue {
  node_name: string;
  tag: string;
  metadata?: { plugin_data?: { plugin_name: string; content: Uint8Array } | null } | null;
  simple_value: number;
  obsolete_old_style_histogram: Uint8Array;
  image: Uint8Array;
  histo: Uint8Array;
  audio: Uint8Array;
  tensor?: TbTensor | null;
}

export interface TbTensor {
  dtype: number;
  tensor_shape?: { dim: { size: Int64 }[] } | null;
  tensor_content: Uint8Array;
  float_val: number[];
  double_val: number[];
}

export interface TbHParamsPluginData {
  experiment: Uint8Array;
  session_start_info?: {
    hparams: Record<string, TbProtoValue>;
    group_name: string;
    start_time_secs: number;
  } | null;
  session_end_info?: { status: number; end_time_secs: number } | null;
}

export interface TbProtoValue {
  null_value: number;
  number_value: number;
  string_value: string;
  bool_value: boolean;
  struct_value: Uint8Array;
  list_value: Uint8Array;
}

const EventType = root.lookupType("exprun.tb.Event");
const HParamsType = root.lookupType("exprun.tb.HParamsPluginData");

/** Decodes an `Event`; throws on bytes that are not one. */
export function decodeEvent(bytes: Uint8Array): TbEvent {
  return EventType.decode(bytes) as unknown as TbEvent;
}

export function decodeHParams(bytes: Uint8Array): TbHParamsPluginData {
  return HParamsType.decode(bytes) as unknown as TbHParamsPluginData;
}

/** Whether a decoded message set a field (proto3 scalars decode to their default when absent). */
export function has(message: object, field: string): boolean {
  return Object.hasOwn(message, field);
}

/** An int64 as a number, or `undefined` when it is outside JavaScript's exact integer range. */
export function int64(value: Int64): number | undefined {
  const n = typeof value === "number" ? value : value.high * 2 ** 32 + (value.low >>> 0);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** TensorFlow dtypes the importer reads. */
export const DT_FLOAT = 1;
export const DT_DOUBLE = 2;
