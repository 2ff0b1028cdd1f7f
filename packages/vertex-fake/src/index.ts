export type { FailureOptions } from "./failures.js";
export type { GapicAuthClient, VertexFake, VertexFakeClientOptions, VertexFakeOptions } from "./server.js";
export { startVertexFake } from "./server.js";
export type {
  ArtifactSeed,
  ContextSeed,
  ExecutionSeed,
  MetadataStoreSeed,
  PipelineJobSeed,
} from "./store.js";
export { VertexStore } from "./store.js";
export { fromStruct, type JsonValue, toStruct } from "./struct.js";
export { MAX_POINTS_PER_WRITE, MAX_SERIES_PER_BATCH_READ } from "./tensorboard-data.js";
export type {
  TensorboardExperimentSeed,
  TensorboardRunSeed,
  TensorboardSeed,
  TensorboardTimeSeriesSeed,
} from "./tensorboard-state.js";
export type * from "./types.js";
