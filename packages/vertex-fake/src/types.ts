/**
 * The resources the fake keeps, in the shape `@grpc/proto-loader` gives them (camelCase fields,
 * enums as their names, `int64` as numbers, `Struct` in its protobuf form). This is also the
 * shape the real client (`@google-cloud/aiplatform`) sends and receives, so seeding the store
 * with these objects is seeding it "exactly as Python writes them".
 */

export interface Timestamp {
  seconds: number;
  nanos: number;
}

/** `google.protobuf.Value`: exactly one member is set. */
export interface Value {
  nullValue?: "NULL_VALUE" | 0;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: Struct;
  listValue?: { values: Value[] };
}

/** `google.protobuf.Struct`. */
export interface Struct {
  fields: Record<string, Value>;
}

export interface MetadataStore {
  name: string;
  createTime: Timestamp;
  updateTime: Timestamp;
  description: string;
}

export interface Context {
  name: string;
  displayName: string;
  etag: string;
  labels: Record<string, string>;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  /** Output only: computed from the parent links on every read; ignored when seeding. */
  parentContexts: string[];
  schemaTitle: string;
  schemaVersion: string;
  metadata: Struct | null;
  description: string;
}

export type ArtifactState = "STATE_UNSPECIFIED" | "PENDING" | "LIVE";

export interface Artifact {
  name: string;
  displayName: string;
  uri: string;
  etag: string;
  labels: Record<string, string>;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  state: ArtifactState;
  schemaTitle: string;
  schemaVersion: string;
  metadata: Struct | null;
  description: string;
}

export type ExecutionState =
  | "STATE_UNSPECIFIED"
  | "NEW"
  | "RUNNING"
  | "COMPLETE"
  | "FAILED"
  | "CACHED"
  | "CANCELLED";

export interface Execution {
  name: string;
  displayName: string;
  state: ExecutionState;
  etag: string;
  labels: Record<string, string>;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  schemaTitle: string;
  schemaVersion: string;
  metadata: Struct | null;
  description: string;
}

export type EventType = "TYPE_UNSPECIFIED" | "INPUT" | "OUTPUT";

export interface Event {
  artifact: string;
  execution: string;
  eventTime: Timestamp | null;
  type: EventType;
  labels: Record<string, string>;
}

export interface Tensorboard {
  name: string;
  displayName: string;
  description: string;
  blobStoragePathPrefix: string;
  /** Output only: computed on every read. */
  runCount: number;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  labels: Record<string, string>;
  etag: string;
  isDefault: boolean;
}

export interface TensorboardExperiment {
  name: string;
  displayName: string;
  description: string;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  labels: Record<string, string>;
  etag: string;
  source: string;
}

export interface TensorboardRun {
  name: string;
  displayName: string;
  description: string;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  labels: Record<string, string>;
  etag: string;
}

export type TimeSeriesValueType = "VALUE_TYPE_UNSPECIFIED" | "SCALAR" | "TENSOR" | "BLOB_SEQUENCE";

export interface TensorboardTimeSeriesMetadata {
  maxStep: number;
  maxWallTime: Timestamp | null;
  maxBlobSequenceLength: number;
}

export interface TensorboardTimeSeries {
  name: string;
  displayName: string;
  description: string;
  valueType: TimeSeriesValueType;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  etag: string;
  pluginName: string;
  pluginData: Uint8Array;
  /** Output only: computed from the stored points on every read (`null` while the series is empty). */
  metadata: TensorboardTimeSeriesMetadata | null;
}

/** `TimeSeriesDataPoint`: one of `scalar`, `tensor`, `blobs` is set. */
export interface TimeSeriesDataPoint {
  step: number;
  wallTime: Timestamp | null;
  scalar?: { value: number } | null;
  tensor?: { value: Uint8Array; versionNumber: number } | null;
  blobs?: { values: { id: string; data: Uint8Array }[] } | null;
}

export type PipelineState =
  | "PIPELINE_STATE_UNSPECIFIED"
  | "PIPELINE_STATE_QUEUED"
  | "PIPELINE_STATE_PENDING"
  | "PIPELINE_STATE_RUNNING"
  | "PIPELINE_STATE_SUCCEEDED"
  | "PIPELINE_STATE_FAILED"
  | "PIPELINE_STATE_CANCELLING"
  | "PIPELINE_STATE_CANCELLED"
  | "PIPELINE_STATE_PAUSED";

/** `PipelineJobDetail`: the metadata contexts Vertex made for the job. */
export interface PipelineJobDetail {
  pipelineContext: Context | null;
  pipelineRunContext: Context | null;
  taskDetails: unknown[];
}

/**
 * `PipelineJob`, with the fields a client of the fake reads. Fields it does not model (encryption,
 * networking, template metadata, …) round-trip as the client sent them.
 */
export interface PipelineJob {
  name: string;
  displayName: string;
  createTime: Timestamp | null;
  startTime: Timestamp | null;
  endTime: Timestamp | null;
  updateTime: Timestamp | null;
  pipelineSpec: Struct | null;
  state: PipelineState;
  jobDetail: PipelineJobDetail | null;
  labels: Record<string, string>;
  runtimeConfig: { parameterValues?: Record<string, Value>; gcsOutputDirectory?: string } | null;
  serviceAccount: string;
  network: string;
  templateUri: string;
  [field: string]: unknown;
}
