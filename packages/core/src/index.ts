export type { Backend, BackendCapabilities } from "./backend.js";
export { CONTRACT_METHODS } from "./backend-shape.js";
export {
  CHECKED_BACKEND,
  type Checked,
  type CheckedBackend,
  checkBackend,
  isCheckedBackend,
} from "./checked-backend.js";
export {
  type ClassificationMetricsInput,
  decodeClassificationMetrics,
  encodeClassificationMetrics,
  rocAuc,
} from "./classification-metrics.js";
export { decodeJsonValue, encodeJsonValue, numberToJson, parseJson, stringifyJson } from "./codec.js";
export { mapLimit } from "./concurrency.js";
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
  timeSeriesDataFrame,
} from "./dataframe.js";
export {
  type CheckedTimeSeriesQuery,
  DEFAULT_BUCKETS,
  type DownsampledMetric,
  type DownsampledTimeSeries,
  downsampleSeries,
  MAX_BUCKETS,
  type SeriesBuckets,
  type TimeSeriesAxis,
  type TimeSeriesQuery,
  unknownMetrics,
  validateTimeSeriesQuery,
} from "./downsample.js";
export * from "./errors.js";
export { Experiment, type ExperimentOptions } from "./experiment.js";
export {
  type ClassificationMetrics,
  type CreateRunOptions,
  ExperimentRun,
  type ParamsInput,
  type RunOptions,
} from "./experiment-run.js";
export {
  LABEL_PATTERN,
  MAX_DESCRIPTION_LENGTH,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_LABELS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_URI_LENGTH,
  RESOURCE_ID_PATTERN,
} from "./fields.js";
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
  sortKeyCheck,
} from "./filter/index.js";
export {
  getLoggableSchema,
  type LoggableSchema,
  listLoggableSchemas,
  registerLoggableSchema,
} from "./loggable-schemas.js";
export { MAX_METADATA_BYTES, MAX_METADATA_DEPTH, snapshotMetadata } from "./metadata.js";
export {
  assertSafeSegment,
  MAX_NAME_LENGTH,
  MAX_RUN_RESOURCE_ID_LENGTH,
  MIN_EXPERIMENT_NAME_LENGTH,
  NAME_PATTERN,
  parseTensorboardRunName,
  tensorboardRunName,
  validateName,
} from "./names.js";
export { experimentNotFound, type NotFoundOptions, resourceNotFound, runNotFound } from "./not-found.js";
export {
  type BackendFactory,
  defaultBackendUri,
  type OpenOptions,
  openBackend,
  parseBackendUri,
  registerBackendScheme,
  S3_URI_OPTIONS,
  s3OptionsFromUri,
  type URLParts,
} from "./open-backend.js";
export { collectPages } from "./paging.js";
export {
  applyTags,
  newArtifactRecord,
  newExecutionRecord,
  newExperimentRecord,
  newIncarnation,
  newRunRecord,
} from "./records.js";
export { Artifact, Execution, PipelineJob } from "./resources.js";
export { generateRunName } from "./run-names.js";
export { describeCredentials, protectCredentials, redactErrorChain } from "./secrets.js";
export { isLaterPoint, latestPoints, settlePoints } from "./series.js";
export {
  type CheckedSeriesQuery,
  type CorruptSeriesDetails,
  chunksFromPoints,
  collectSeriesPoints,
  corruptSeriesError,
  DEFAULT_CHUNK_POINTS,
  fillLatestTimeSeries,
  filterSeries,
  latestOfSeries,
  latestSeriesPoints,
  readSeriesPoints,
  SeriesChunkBuilder,
  validateMetricNames,
  validateRange,
  validateSeriesQuery,
} from "./series-stream.js";
export {
  backendSeries,
  changedEntries,
  deepEqual,
  type ExperimentSyncOutcome,
  fitTagsToLabels,
  type LabelFit,
  type LabelMiss,
  labelKey,
  ResourceSync,
  type ResourceSyncCounts,
  type RunSyncOptions,
  type RunSyncResult,
  type RunSyncSource,
  type SeriesReader,
  SYNC_BUCKET_STEPS,
  syncExperiment,
  syncRun,
  syncSeries,
} from "./sync/index.js";
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
export {
  isReservedKey,
  MAX_WALL_TIME,
  parseRunState,
  parseWallTime,
  RESERVED_KEYS,
  toWallTime,
} from "./validation.js";
