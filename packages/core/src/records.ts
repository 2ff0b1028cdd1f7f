import type {
  ArtifactRecord,
  ExecutionRecord,
  ExperimentRecord,
  NewArtifact,
  NewExecution,
  NewExperiment,
  NewRun,
  RunRecord,
} from "./types.js";
import { SCHEMA } from "./types.js";

/**
 * The record a store keeps for new input, with every default applied. Stores call these so that
 * defaults (schema version, states, empty strings, run type, times) are decided once, here. `time`
 * is the store's now; a create or update time given in the input (core passes them only to stores
 * that declare `keepsTimes`) wins over it.
 *
 * A generic artifact or execution created without a schema version gets `""`, as Python's
 * `Artifact.create` / `Execution.create` send it (the service then applies its own default);
 * only the schemas Python writes with a version (contexts, classification metrics, TensorBoard
 * run references) carry `SCHEMA.defaultVersion`, and their writers pass it explicitly.
 */
export function newExperimentRecord(input: NewExperiment, time: number): ExperimentRecord {
  return {
    name: input.name,
    description: input.description ?? "",
    ...(input.backingTensorboard ? { backingTensorboard: input.backingTensorboard } : {}),
    createTime: time,
    updateTime: time,
  };
}

/** A new run: empty params, metrics and tags, no description, and `incarnation` (new for every creation). */
export function newRunRecord(
  experiment: string,
  input: NewRun,
  time: number,
  incarnation: string,
): RunRecord {
  const createTime = input.createTime ?? time;
  return {
    experiment,
    name: input.name,
    incarnation,
    runType: input.runType ?? SCHEMA.experimentRun,
    state: input.state,
    params: {},
    metrics: {},
    tags: {},
    description: "",
    createTime,
    updateTime: input.updateTime ?? createTime,
  };
}

export function newArtifactRecord(input: NewArtifact, id: string, time: number): ArtifactRecord {
  const createTime = input.createTime ?? time;
  return {
    id,
    schemaTitle: input.schemaTitle,
    schemaVersion: input.schemaVersion ?? "",
    displayName: input.displayName ?? "",
    uri: input.uri ?? "",
    description: input.description ?? "",
    state: input.state ?? "LIVE",
    metadata: structuredClone(input.metadata ?? {}),
    createTime,
    updateTime: input.updateTime ?? createTime,
  };
}

export function newExecutionRecord(input: NewExecution, id: string, time: number): ExecutionRecord {
  const createTime = input.createTime ?? time;
  return {
    id,
    schemaTitle: input.schemaTitle,
    schemaVersion: input.schemaVersion ?? "",
    displayName: input.displayName ?? "",
    description: input.description ?? "",
    state: input.state ?? "RUNNING",
    metadata: structuredClone(input.metadata ?? {}),
    inputArtifacts: [],
    outputArtifacts: [],
    createTime,
    updateTime: input.updateTime ?? createTime,
  };
}

/**
 * A new incarnation id: unique for every creation of a run. Stores that have an id of their own for
 * a creation (a file's uid, an S3 claim key, a Vertex context's create time) may use that instead.
 */
export function newIncarnation(): string {
  return globalThis.crypto.randomUUID();
}

/** Applies a run patch's tags to stored tags: `null` deletes, a string sets. Returns the new tags. */
export function applyTags(
  tags: Readonly<Record<string, string>>,
  patch: Readonly<Record<string, string | null>> | undefined,
): Record<string, string> {
  const next = { ...tags };
  if (patch) {
    for (const key in patch) {
      const value = patch[key];
      if (value === null || value === undefined) delete next[key];
      else next[key] = value;
    }
  }
  return next;
}
