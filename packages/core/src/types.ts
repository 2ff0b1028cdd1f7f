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

/**
 * MLflow's run status names and the exprun state each is (what the MLflow importer stores and what
 * the filter language accepts for `attributes.status = 'FINISHED'`).
 */
export const MLFLOW_RUN_STATES: Readonly<Record<string, RunState>> = Object.freeze({
  RUNNING: "RUNNING",
  SCHEDULED: "NEW",
  FINISHED: "COMPLETE",
  FAILED: "FAILED",
  KILLED: "CANCELLED",
});

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

/** The run types a store keeps: runs exprun writes, legacy Python runs, and pipeline runs listed in an experiment. */
export const RUN_TYPES = [SCHEMA.experimentRun, SCHEMA.legacyRun, SCHEMA.pipelineRun] as const;

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
  /**
   * The creation of the run this call addresses ({@link RunRecord.incarnation}). When given, a run of
   * that name whose current incarnation differs (it was deleted and created again) MUST be treated
   * as missing: reads resolve `undefined` or reject `NotFoundError`, writes reject `NotFoundError`
   * and nothing of them lands in the newer run. Core's `ExperimentRun` always passes it.
   */
  incarnation?: string | undefined;
}

export interface RunRecord {
  experiment: string;
  name: string;
  /**
   * Opaque id of this creation of the run: different for every `createRun` of the same name (a run
   * deleted and re-created is a new run), the same for every read of one creation.
   */
  incarnation: string;
  /** `system.ExperimentRun` for runs exprun writes; a backend may list `system.PipelineRun` or legacy `system.Run` rows. */
  runType: string;
  state: RunState;
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  /** Free-form string tags (`{}` when none). On Vertex, the run context's labels. */
  tags: Record<string, string>;
  /** The run's note (`""` when none). On Vertex, the run context's description. */
  description: string;
  /**
   * Resource name of the run's TensorBoard run, when one was assigned. `getRun` MUST fill it; `listRuns`
   * MAY omit it unless asked `withLatestTimeSeries` (on Vertex it costs a read per run).
   */
  tensorboardRun?: string | undefined;
  /** Milliseconds since the epoch, UTC. */
  createTime: number;
  /** Milliseconds since the epoch, UTC: the last change to the run's record (not to its time series). */
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
  /**
   * The run's schema title: `system.ExperimentRun` (the default), legacy `system.Run` or
   * `system.PipelineRun` (copies keep the source's).
   */
  runType?: string;
  /**
   * Create and update time to record instead of now (importers and copies keep when a run happened).
   * Core passes them only to stores whose `capabilities.keepsTimes` is true, which MUST store them.
   */
  createTime?: number;
  updateTime?: number;
}

/**
 * What one `updateRun` call changes. Params, metrics and tags merge one level deep: named keys are
 * set, others kept.
 */
export interface RunPatch {
  params?: Record<string, Value>;
  metrics?: Record<string, Value>;
  state?: RunState;
  /** Tags to set; a `null` value deletes that tag (deleting an absent tag is not an error). */
  tags?: Record<string, string | null>;
  /** Replaces the run's note. */
  description?: string;
  /**
   * The run's update time becomes this instead of now (importers, copies). Passed only to stores
   * whose `capabilities.keepsTimes` is true.
   */
  updateTime?: number;
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

/** Vertex's `Artifact.State` names. */
export const ARTIFACT_STATES = ["PENDING", "LIVE"] as const;
export type ArtifactState = (typeof ARTIFACT_STATES)[number];

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
  /** Kept where `capabilities.keepsTimes` (importers, copies); otherwise the store's now. */
  createTime?: number;
  updateTime?: number;
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
  /** Kept where `capabilities.keepsTimes` (importers, copies); otherwise the store's now. */
  createTime?: number;
  updateTime?: number;
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
