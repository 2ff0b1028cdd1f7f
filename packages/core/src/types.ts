/** Shapes shared by the public API and the {@link Backend} contract. */

/** A param or summary-metric value. Booleans are kept as booleans, as Python stores `bool_value`. */
export type Value = number | string | boolean;

/** JSON-like metadata of artifacts, executions and child contexts (numbers may be NaN/±Infinity in memory). */
export type MetadataValue =
  | null
  | boolean
  | number
  | string
  | MetadataValue[]
  | { [key: string]: MetadataValue };
export type Metadata = { [key: string]: MetadataValue };

/** Vertex's `Execution.State` names, used for runs and executions. */
export const RUN_STATES = ["NEW", "RUNNING", "COMPLETE", "FAILED", "CACHED", "CANCELLED"] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Schema titles exprun writes, identical to the Python SDK's. */
export const SCHEMA = {
  experiment: "system.Experiment",
  experimentRun: "system.ExperimentRun",
  pipelineRun: "system.PipelineRun",
  legacyRun: "system.Run",
  classificationMetrics: "google.ClassificationMetrics",
  tensorboardRun: "google.VertexTensorboardRun",
  defaultVersion: "0.0.1",
} as const;

export interface ExperimentRecord {
  /** The experiment id: `[a-z0-9][a-z0-9-]*`. */
  name: string;
  /** `""` when none was given. */
  description: string;
  /** Resource name of the backing TensorBoard, or `undefined` (Python may store `null`: read it as `undefined`). */
  backingTensorboard?: string | undefined;
  /** Milliseconds since the epoch, UTC. */
  createTime: number;
  updateTime: number;
}

export interface NewExperiment {
  name: string;
  description?: string;
  backingTensorboard?: string;
}

/** Identifies a run: runs are named within their experiment. */
export interface RunRef {
  experiment: string;
  run: string;
}

export interface RunRecord {
  experiment: string;
  name: string;
  /** `system.ExperimentRun` for runs exprun writes; a backend may list `system.PipelineRun` or legacy `system.Run` rows. */
  runType: string;
  state: RunState;
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  /**
   * Resource name of the run's TensorBoard run, when one was assigned. `getRun` MUST fill it; `listRuns`
   * MAY omit it unless asked `withLatestTimeSeries` (on Vertex it costs a read per run).
   */
  tensorboardRun?: string | undefined;
  createTime: number;
  updateTime: number;
  /**
   * The latest point of each time series (largest step; on a tie, the last written). Present only when
   * `listRuns` was asked for it with `withLatestTimeSeries`.
   */
  latestTimeSeries?: Record<string, SeriesPoint>;
}

export interface NewRun {
  name: string;
  state: RunState;
}

/** What one `updateRun` call changes. Params and metrics merge one level deep: named keys are set, others kept. */
export interface RunPatch {
  params?: Record<string, Value>;
  metrics?: Record<string, Value>;
  state?: RunState;
}

/** One `logTimeSeriesMetrics` call: several metrics at one step and wall time. */
export interface TimeSeriesWrite {
  step: number;
  /** Milliseconds since the epoch, UTC. */
  wallTime: number;
  values: Record<string, number>;
}

/** One stored point of one metric. */
export interface SeriesPoint {
  metric: string;
  step: number;
  wallTime: number;
  value: number;
}

/**
 * Points as three parallel columns of equal length: point `i` is `steps[i]`, `wallTimes[i]`
 * (milliseconds since the epoch, UTC) and `values[i]`.
 */
export interface SeriesColumns {
  steps: Float64Array;
  wallTimes: Float64Array;
  values: Float64Array;
}

/**
 * A slice of one metric's points, as read by `Backend.readSeries` and `run.readTimeSeries()`.
 * The arrays belong to whoever receives the chunk: the producer never reuses or mutates them.
 */
export interface SeriesChunk extends SeriesColumns {
  metric: string;
}

/** Which points `readSeries` should deliver. Every field is optional; omitted means "all". */
export interface SeriesQuery {
  /** Only these metrics. `[]` means none. */
  metrics?: readonly string[];
  /** Only points with `from <= step <= to` (either bound may be omitted). */
  steps?: { from?: number; to?: number };
}

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextPageToken?: string | undefined;
}

export interface PageRequest {
  /** A hint; a backend may return fewer. */
  pageSize?: number;
  pageToken?: string | undefined;
}

export type ArtifactState = "PENDING" | "LIVE";

export interface ArtifactRecord {
  /** The artifact id, unique within the store. */
  id: string;
  schemaTitle: string;
  schemaVersion: string;
  displayName: string;
  uri: string;
  description: string;
  state: ArtifactState;
  metadata: Metadata;
  createTime: number;
  updateTime: number;
}

export interface NewArtifact {
  /** Omit to let the backend choose a unique id. */
  id?: string;
  schemaTitle: string;
  schemaVersion?: string;
  displayName?: string;
  uri?: string;
  description?: string;
  state?: ArtifactState;
  metadata?: Metadata;
}

export interface ExecutionRecord {
  id: string;
  schemaTitle: string;
  schemaVersion: string;
  displayName: string;
  description: string;
  state: RunState;
  metadata: Metadata;
  /** Artifact ids, in the order they were first added. */
  inputArtifacts: string[];
  outputArtifacts: string[];
  createTime: number;
  updateTime: number;
}

export interface NewExecution {
  id?: string;
  schemaTitle: string;
  schemaVersion?: string;
  displayName?: string;
  description?: string;
  state?: RunState;
  metadata?: Metadata;
}

export interface ExecutionPatch {
  state?: RunState;
  /** Merged one level deep into the stored metadata. */
  metadata?: Metadata;
}

/** A resource linked to a run as its child, such as a pipeline run (`system.PipelineRun`). */
export interface RunChild {
  schemaTitle: string;
  /** The child's resource name; unique among a run's children. */
  resourceName: string;
  displayName: string;
  metadata?: Metadata;
}

export interface ResourceQuery extends PageRequest {
  schemaTitle?: string;
  /** Only resources attributed to this run. */
  run?: RunRef;
}
