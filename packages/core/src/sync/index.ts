export { changedEntries, deepEqual } from "./equal.js";
export { type ExperimentSyncOutcome, syncExperiment } from "./experiment-sync.js";
export { alternateId, fingerprint, targetId } from "./ids.js";
export { ResourceSync, type ResourceSyncCounts } from "./resource-sync.js";
export { type RunSyncOptions, type RunSyncResult, type RunSyncSource, syncRun } from "./run-sync.js";
export {
  backendSeries,
  type SeriesReader,
  SYNC_BUCKET_STEPS,
  syncSeries,
} from "./series-sync.js";
