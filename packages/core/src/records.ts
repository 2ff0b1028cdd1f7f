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
 * defaults (schema version, states, empty strings) are decided once, here.
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

export function newRunRecord(experiment: string, input: NewRun, time: number): RunRecord {
  return {
    experiment,
    name: input.name,
    runType: SCHEMA.experimentRun,
    state: input.state,
    params: {},
    metrics: {},
    createTime: time,
    updateTime: time,
  };
}

export function newArtifactRecord(input: NewArtifact, id: string, time: number): ArtifactRecord {
  return {
    id,
    schemaTitle: input.schemaTitle,
    schemaVersion: input.schemaVersion ?? "",
    displayName: input.displayName ?? "",
    uri: input.uri ?? "",
    description: input.description ?? "",
    state: input.state ?? "LIVE",
    metadata: structuredClone(input.metadata ?? {}),
    createTime: time,
    updateTime: time,
  };
}

export function newExecutionRecord(input: NewExecution, id: string, time: number): ExecutionRecord {
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
    createTime: time,
    updateTime: time,
  };
}
