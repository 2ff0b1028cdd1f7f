export { changedEntries, deepEqual } from "./equal.js";
export { alternateId, fingerprint, targetId } from "./ids.js";
export { ResourceSync, type ResourceSyncCounts } from "./resource-sync.js";
export { backendSeries, type SeriesReader, SYNC_BUCKET_STEPS, syncSeries } from "./series-sync.js";
