import type { ArtifactRecord, ExecutionRecord, Metadata, MetadataValue, RunState } from "@exprun/core";
import {
  currentClaim,
  joinClaims,
  joinFirstDict,
  joinStamped,
  joinStampedDict,
  type Stamped,
} from "./crdt.js";
import { type Dict, dict, setOwn } from "./dict.js";

/**
 * Artifacts and executions are never deleted, so each id has one generation `g`; a claim is the record
 * as its creator wrote it (the id is its key; an execution's events are kept apart).
 */
export type ArtifactClaim = { g: number } & Omit<ArtifactRecord, "id">;

export type ExecutionClaim = { g: number } & Omit<
  ExecutionRecord,
  "id" | "inputArtifacts" | "outputArtifacts"
>;

export interface ArtifactData {
  claims?: Dict<ArtifactClaim>;
}

export interface ExecutionData {
  claims?: Dict<ExecutionClaim>;
  state?: Stamped<RunState> | undefined;
  metadata?: Dict<Stamped<MetadataValue>>;
  /** Artifact id → version of the first event. */
  inputs?: Dict<string>;
  outputs?: Dict<string>;
  updateTime?: Stamped<number> | undefined;
}

/** Artifacts and executions of the store: the body of every object under `resources/meta/`. */
export interface ResourceData {
  artifacts?: Dict<ArtifactData>;
  executions?: Dict<ExecutionData>;
}

function child<T extends object>(parent: Dict<T>, key: string): T {
  let value = parent[key];
  if (value === undefined) {
    value = {} as T;
    parent[key] = value;
  }
  return value;
}

export function joinResources(into: ResourceData, from: ResourceData): void {
  if (from.artifacts) {
    into.artifacts ??= dict();
    for (const [id, artifact] of Object.entries(from.artifacts)) {
      const target = child<ArtifactData>(into.artifacts, id);
      target.claims ??= dict();
      joinClaims(target.claims, artifact.claims);
    }
  }
  if (from.executions) {
    into.executions ??= dict();
    for (const [id, execution] of Object.entries(from.executions)) {
      const target = child<ExecutionData>(into.executions, id);
      target.claims ??= dict();
      joinClaims(target.claims, execution.claims);
      target.state = joinStamped(target.state, execution.state);
      target.updateTime = joinStamped(target.updateTime, execution.updateTime);
      target.metadata ??= dict();
      joinStampedDict(target.metadata, execution.metadata);
      target.inputs ??= dict();
      joinFirstDict(target.inputs, execution.inputs);
      target.outputs ??= dict();
      joinFirstDict(target.outputs, execution.outputs);
    }
  }
}

export function artifactVersion(data: ResourceData, id: string): string | undefined {
  return currentClaim(data.artifacts?.[id]?.claims, undefined)?.v;
}

export function executionVersion(data: ResourceData, id: string): string | undefined {
  return currentClaim(data.executions?.[id]?.claims, undefined)?.v;
}

export function artifactView(data: ResourceData, id: string): ArtifactRecord | undefined {
  const won = currentClaim(data.artifacts?.[id]?.claims, undefined);
  if (!won) return undefined;
  const { g: _g, ...claim } = won.claim;
  return { id, ...structuredClone(claim) };
}

function ordered(source: Dict<string> | undefined): string[] {
  return Object.entries(source ?? {})
    .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([id]) => id);
}

export function executionView(data: ResourceData, id: string): ExecutionRecord | undefined {
  const execution = data.executions?.[id];
  const won = currentClaim(execution?.claims, undefined);
  if (!execution || !won) return undefined;
  const { claim } = won;
  const metadata: Metadata = structuredClone(claim.metadata);
  for (const [key, stamp] of Object.entries(execution.metadata ?? {}))
    setOwn(metadata, key, structuredClone(stamp.x));
  return {
    id,
    schemaTitle: claim.schemaTitle,
    schemaVersion: claim.schemaVersion,
    displayName: claim.displayName,
    description: claim.description,
    state: execution.state?.x ?? claim.state,
    metadata,
    inputArtifacts: ordered(execution.inputs),
    outputArtifacts: ordered(execution.outputs),
    createTime: claim.createTime,
    updateTime: execution.updateTime?.x ?? claim.updateTime,
  };
}

/** Ids of existing resources of one kind, in creation order. */
export function resourceIds(
  data: ResourceData,
  kind: "artifacts" | "executions",
): { id: string; v: string }[] {
  const out: { id: string; v: string }[] = [];
  for (const [id, entry] of Object.entries(data[kind] ?? {})) {
    const won = currentClaim(entry.claims as Dict<{ g: number }> | undefined, undefined);
    if (won) out.push({ id, v: won.v });
  }
  return out.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
}

/** Keeps each resource's winning claim and what was written to it. */
export function pruneResources(data: ResourceData): ResourceData {
  const artifacts = dict<ArtifactData>();
  for (const [id, artifact] of Object.entries(data.artifacts ?? {})) {
    const won = currentClaim(artifact.claims, undefined);
    if (!won) continue;
    const claims = dict<ArtifactClaim>();
    claims[won.v] = won.claim;
    artifacts[id] = { claims };
  }
  const executions = dict<ExecutionData>();
  for (const [id, execution] of Object.entries(data.executions ?? {})) {
    const won = currentClaim(execution.claims, undefined);
    if (!won) continue;
    const claims = dict<ExecutionClaim>();
    claims[won.v] = won.claim;
    executions[id] = { ...execution, claims };
  }
  return { artifacts, executions };
}
