export type { Backend, BackendCapabilities } from "./backend.js";
export { numberToJson, parseJson, stringifyJson } from "./codec.js";
export {
  type CommonOptions,
  type Defaults,
  getDefaults,
  type InitOptions,
  init,
  resetDefaults,
  resolveBackend,
} from "./config.js";
export {
  buildExperimentDataFrame,
  buildTimeSeriesDataFrame,
  dataFrameColumns,
  type ExperimentDataFrameRow,
  type TimeSeriesDataFrameRow,
} from "./dataframe.js";
export * from "./errors.js";
export { Experiment, type ExperimentOptions } from "./experiment.js";
export {
  type ClassificationMetrics,
  type CreateRunOptions,
  ExperimentRun,
  type RunOptions,
} from "./experiment-run.js";
export {
  checkSortKeys,
  compareRows,
  type Expr,
  evaluate,
  type Field,
  type FilterRow,
  FilterSyntaxError,
  fieldValue,
  type Literal,
  type Operator,
  parseFilter,
  parseIsoTime,
  parseSort,
  type SortKey,
} from "./filter/index.js";
export {
  getLoggableSchema,
  type LoggableSchema,
  listLoggableSchemas,
  registerLoggableSchema,
} from "./loggable-schemas.js";
export {
  assertSafeSegment,
  MAX_NAME_LENGTH,
  MAX_RUN_RESOURCE_ID_LENGTH,
  MIN_EXPERIMENT_NAME_LENGTH,
  NAME_PATTERN,
  validateName,
} from "./names.js";
export {
  type BackendFactory,
  defaultBackendUri,
  type OpenOptions,
  openBackend,
  parseBackendUri,
  registerBackendScheme,
  type URLParts,
} from "./open-backend.js";
export { collectPages } from "./paging.js";
export { newArtifactRecord, newExecutionRecord, newExperimentRecord, newRunRecord } from "./records.js";
export { Artifact, Execution, PipelineJob } from "./resources.js";
export { isLaterPoint, latestPoints, settlePoints } from "./series.js";
export {
  endRun,
  getCurrentRun,
  getExperimentDataFrame,
  getTimeSeriesDataFrame,
  log,
  logClassificationMetrics,
  logMetrics,
  logParams,
  logTimeSeriesMetrics,
  type StartRunOptions,
  startRun,
  withRun,
} from "./tracker.js";
export * from "./types.js";
export type { ClassificationMetricsInput } from "./validation.js";
