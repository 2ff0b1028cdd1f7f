import {
  type ArtifactRecord,
  type ArtifactState,
  type ExecutionRecord,
  type ExperimentRecord,
  type Metadata,
  type MetadataValue,
  RUN_STATES,
  type RunRecord,
  type RunState,
  SCHEMA,
  type Value,
} from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";
import type { Context } from "./contexts.js";
import { lastSegment, timestampMs } from "./session.js";
import { fromProtoStruct } from "./struct.js";

type Artifact = protos.google.cloud.aiplatform.v1.IArtifact;
type Execution = protos.google.cloud.aiplatform.v1.IExecution;

/** Metadata keys of the Python SDK (VERTEX.md §1.1). */
export const KEY = {
  params: "_params",
  metrics: "_metrics",
  state: "_state",
  experimentDeleted: "experiment_deleted",
  backingTensorboard: "backing_tensorboard_resource",
  tensorboardLink: "tensorboard_link",
  resourceName: "resourceName",
  tracking: "vertex_experiment_tracking",
} as const;

export function experimentRecord(context: Context): ExperimentRecord {
  const metadata = fromProtoStruct(context.metadata);
  const tb = metadata[KEY.backingTensorboard];
  return {
    name: lastSegment(context.name ?? ""),
    description: context.description ?? "",
    // Python may store null here (TensorBoard deleted): read null and absent alike.
    backingTensorboard: typeof tb === "string" && tb ? tb : undefined,
    createTime: timestampMs(context.createTime),
    updateTime: timestampMs(context.updateTime),
  };
}

/** Only scalars are params or metrics; anything else a foreign writer stored is skipped. */
export function scalarMap(value: MetadataValue | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") out[key] = v;
  }
  return out;
}

export function toRunState(name: unknown): RunState {
  return (RUN_STATES as readonly unknown[]).includes(name) ? (name as RunState) : "NEW";
}

/**
 * A run's incarnation: the create time of its context (or legacy execution) to the nanosecond, as
 * the service assigned it. Every creation of a name gets a later one, every read of one creation
 * the same, and it needs nothing written: runs the Python SDK created (and keeps updating, sending
 * back whole contexts) have one too, unchanged by any writer.
 */
export function incarnationOf(resource: {
  createTime?: { seconds?: unknown; nanos?: number | null } | null;
}): string {
  const seconds = String(resource.createTime?.seconds ?? 0);
  return `${seconds}.${String(resource.createTime?.nanos ?? 0).padStart(9, "0")}`;
}

export function runRecord(experiment: string, context: Context, tensorboardRun?: string): RunRecord {
  const metadata = fromProtoStruct(context.metadata);
  return {
    experiment,
    name: context.displayName || lastSegment(context.name ?? "").slice(experiment.length + 1),
    incarnation: incarnationOf(context),
    tags: { ...(context.labels ?? {}) },
    description: context.description ?? "",
    runType: context.schemaTitle || SCHEMA.experimentRun,
    state: toRunState(metadata[KEY.state]),
    params: scalarMap(metadata[KEY.params]),
    metrics: scalarMap(metadata[KEY.metrics]),
    tensorboardRun,
    createTime: timestampMs(context.createTime),
    updateTime: timestampMs(context.updateTime),
  };
}

/** A legacy "Experiments preview" run: an Execution plus its `-metrics` artifact (VERTEX.md §1.6). */
export function legacyRunRecord(
  experiment: string,
  execution: Execution,
  metrics: Artifact | undefined,
): RunRecord {
  const id = lastSegment(execution.name ?? "");
  return {
    experiment,
    name: execution.displayName || id.slice(experiment.length + 1),
    incarnation: incarnationOf(execution),
    tags: { ...(execution.labels ?? {}) },
    description: execution.description ?? "",
    runType: SCHEMA.legacyRun,
    state: toRunState(execution.state),
    params: scalarMap(fromProtoStruct(execution.metadata)),
    metrics: scalarMap(fromProtoStruct(metrics?.metadata)),
    createTime: timestampMs(execution.createTime),
    updateTime: timestampMs(execution.updateTime),
  };
}

export function artifactRecord(artifact: Artifact): ArtifactRecord {
  return {
    id: lastSegment(artifact.name ?? ""),
    schemaTitle: artifact.schemaTitle ?? "",
    schemaVersion: artifact.schemaVersion ?? "",
    displayName: artifact.displayName ?? "",
    uri: artifact.uri ?? "",
    description: artifact.description ?? "",
    state: (artifact.state === "PENDING" ? "PENDING" : "LIVE") as ArtifactState,
    metadata: fromProtoStruct(artifact.metadata) as Metadata,
    createTime: timestampMs(artifact.createTime),
    updateTime: timestampMs(artifact.updateTime),
  };
}

export function executionRecord(
  execution: Execution,
  events: { inputs: string[]; outputs: string[] } = { inputs: [], outputs: [] },
): ExecutionRecord {
  return {
    id: lastSegment(execution.name ?? ""),
    schemaTitle: execution.schemaTitle ?? "",
    schemaVersion: execution.schemaVersion ?? "",
    displayName: execution.displayName ?? "",
    description: execution.description ?? "",
    state: toRunState(execution.state),
    metadata: fromProtoStruct(execution.metadata),
    inputArtifacts: events.inputs,
    outputArtifacts: events.outputs,
    createTime: timestampMs(execution.createTime),
    updateTime: timestampMs(execution.updateTime),
  };
}
