import protobuf from "protobufjs";

/**
 * The parts of `wandb_internal.Record` (wandb/proto/wandb_internal.proto) the importer reads,
 * declared by their field numbers. Record kinds exprun skips (console output, system stats, files,
 * artifacts, alerts, …) are declared as `bytes`: counted, never decoded.
 */
const PROTO = `
syntax = "proto3";
package exprun.wandb;

message Record {
  int64 num = 1;
  oneof record_type {
    HistoryRecord history = 2;
    SummaryRecord summary = 3;
    bytes output = 4;
    ConfigRecord config = 5;
    bytes files = 6;
    bytes stats = 7;
    bytes artifact = 8;
    bytes tbrecord = 9;
    bytes alert = 10;
    bytes telemetry = 11;
    bytes metric = 12;
    bytes output_raw = 13;
    RunRecord run = 17;
    RunExitRecord exit = 18;
    bytes final = 20;
    HeaderRecord header = 21;
    bytes footer = 22;
    bytes preempting = 23;
    bytes noop_link_artifact = 24;
    bytes use_artifact = 25;
    bytes environment = 26;
    bytes output_logger = 27;
    bytes request = 100;
  }
}

message HeaderRecord { VersionInfo version_info = 1; }
message VersionInfo { string producer = 1; string min_consumer = 2; }

message Item {
  string key = 1;
  repeated string nested_key = 2;
  string value_json = 16;
}

message HistoryRecord {
  repeated Item item = 1;
  HistoryStep step = 2;
}
message HistoryStep { int64 num = 1; }

message SummaryRecord {
  repeated Item update = 1;
  repeated Item remove = 2;
}

message ConfigRecord {
  repeated Item update = 1;
  repeated Item remove = 2;
}

message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message GitRepoRecord { string remote_url = 1; string commit = 2; }

message RunRecord {
  string run_id = 1;
  string entity = 2;
  string project = 3;
  ConfigRecord config = 4;
  SummaryRecord summary = 5;
  string run_group = 6;
  string job_type = 7;
  string display_name = 8;
  string notes = 9;
  repeated string tags = 10;
  string sweep_id = 12;
  string host = 13;
  int64 starting_step = 14;
  Timestamp start_time = 17;
  bool resumed = 18;
  int32 runtime = 20;
  GitRepoRecord git = 21;
}

message RunExitRecord {
  int32 exit_code = 1;
  int32 runtime = 2;
  bool not_complete = 3;
}
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const RecordType = root.lookupType("exprun.wandb.Record");

export type Int64 = number | { low: number; high: number };

export interface WbItem {
  key: string;
  nested_key: string[];
  value_json: string;
}

export interface WbRun {
  run_id: string;
  entity: string;
  project: string;
  config?: { update: WbItem[]; remove: WbItem[] } | null;
  summary?: { update: WbItem[]; remove: WbItem[] } | null;
  run_group: string;
  job_type: string;
  display_name: string;
  notes: string;
  tags: string[];
  sweep_id: string;
  host: string;
  start_time?: { seconds: Int64; nanos: number } | null;
  runtime: number;
  git?: { remote_url: string; commit: string } | null;
}

export interface WbRecord {
  history?: { item: WbItem[]; step?: { num: Int64 } | null } | null;
  summary?: { update: WbItem[]; remove: WbItem[] } | null;
  config?: { update: WbItem[]; remove: WbItem[] } | null;
  run?: WbRun | null;
  exit?: { exit_code: number; runtime: number; not_complete: boolean } | null;
  header?: { version_info?: { producer: string; min_consumer: string } | null } | null;
}

/** Decodes a `Record`; throws on bytes that are not one. */
export function decodeRecord(bytes: Uint8Array): WbRecord {
  return RecordType.decode(bytes) as unknown as WbRecord;
}

/** Record kinds exprun has no place for → the kind counted in the summary. */
export const SKIPPED_RECORDS: Record<string, string> = {
  output: "consoleLines",
  output_raw: "consoleLines",
  output_logger: "consoleLines",
  files: "files",
  stats: "systemMetrics",
  artifact: "artifacts",
  use_artifact: "artifacts",
  tbrecord: "tensorboardLinks",
  alert: "alerts",
  metric: "metricDefinitions",
};

export function int64(value: Int64): number | undefined {
  const n = typeof value === "number" ? value : value.high * 2 ** 32 + (value.low >>> 0);
  return Number.isSafeInteger(n) ? n : undefined;
}
