import type {
  ArtifactRecord,
  ArtifactState,
  ExecutionRecord,
  Metadata,
  MetadataValue,
  RunState,
} from "@exprun/core";
import { versionTime } from "./clock.js";
import {
  joinClaims,
  joinFirstDict,
  joinStamped,
  joinStampedDict,
  liveEntries,
  maxVersion,
  type Stamped,
  winningClaim,
} from "./crdt.js";
import { type Dict, dict, setOwn } from "./dict.js";

export interface ArtifactClaim {
  schemaTitle: string;
  schemaVersion: string;
  displayName: string;
  uri: string;
  description: string;
  state: ArtifactState;
  metadata: Metadata;
}

export interface ExecutionClaim {
  schemaTitle: string;
  schemaVersion: string;
  displayName: string;
  description: string;
  state: RunState;
  metadata: Metadata;
}

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
  touched?: string | undefined;
}

/** Artifacts and executions of the store: the body of every object under `resources/meta/`. */
export interface ResourceData {
  artifacts?: Dict<ArtifactData>;
  executions?: Dict<ExecutionData>;
}

function child<T>(parent: Dict<T>, key: string, make: () => T): T {
  let value = parent[key];
  if (value === undefined) {
    value = make();
    parent[key] = value;
  }
  return value;
}

export function joinResources(into: ResourceData, from: ResourceData): void {
  if (from.artifacts) {
    into.artifacts ??= dict();
    for (const [id, artifact] of Object.entries(from.artifacts)) {
      const target = child<ArtifactData>(into.artifacts, id, () => ({}));
      target.claims ??= dict();
      joinClaims(target.claims, artifact.claims);
    }
  }
  if (from.executions) {
    into.executions ??= dict();
    for (const [id, execution] of Object.entries(from.executions)) {
      const target = child<ExecutionData>(into.executions, id, () => ({}));
      target.claims ??= dict();
      joinClaims(target.claims, execution.claims);
      target.state = joinStamped(target.state, execution.state);
      target.metadata ??= dict();
      joinStampedDict(target.metadata, execution.metadata);
      target.inputs ??= dict();
      joinFirstDict(target.inputs, execution.inputs);
      target.outputs ??= dict();
      joinFirstDict(target.outputs, execution.outputs);
      target.touched = maxVersion(target.touched, execution.touched);
    }
  }
}

export function artifactVersion(data: ResourceData, id: string): string | undefined {
  return winningClaim(data.artifacts?.[id]?.claims)?.[0];
}

export function executionVersion(data: ResourceData, id: string): string | undefined {
  return winningClaim(data.executions?.[id]?.claims)?.[0];
}

export function artifactView(data: ResourceData, id: string): ArtifactRecord | undefined {
  const won = winningClaim(data.artifacts?.[id]?.claims);
  if (!won) return undefined;
  const [v, claim] = won;
  const time = versionTime(v);
  return { id, ...structuredClone(claim), createTime: time, updateTime: time };
}

function ordered(source: Dict<string> | undefined, floor: string): string[] {
  return Object.entries(source ?? {})
    .filter(([, v]) => v > floor)
    .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([id]) => id);
}

export function executionView(data: ResourceData, id: string): ExecutionRecord | undefined {
  const execution = data.executions?.[id];
  const won = winningClaim(execution?.claims);
  if (!execution || !won) return undefined;
  const [v, claim] = won;
  const metadata: Metadata = structuredClone(claim.metadata);
  for (const [key, stamp] of liveEntries(execution.metadata, v))
    setOwn(metadata, key, structuredClone(stamp.x));
  const touched = execution.touched && execution.touched > v ? execution.touched : v;
  return {
    id,
    schemaTitle: claim.schemaTitle,
    schemaVersion: claim.schemaVersion,
    displayName: claim.displayName,
    description: claim.description,
    state: execution.state && execution.state.v > v ? execution.state.x : claim.state,
    metadata,
    inputArtifacts: ordered(execution.inputs, v),
    outputArtifacts: ordered(execution.outputs, v),
    createTime: versionTime(v),
    updateTime: versionTime(touched),
  };
}

/** Ids of existing resources of one kind, in creation order. */
export function resourceIds(
  data: ResourceData,
  kind: "artifacts" | "executions",
): { id: string; v: string }[] {
  const out: { id: string; v: string }[] = [];
  for (const [id, entry] of Object.entries(data[kind] ?? {})) {
    const won = winningClaim(entry.claims);
    if (won) out.push({ id, v: won[0] });
  }
  return out.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
}

/** Keeps each resource's winning claim and what was written after it. */
export function pruneResources(data: ResourceData): ResourceData {
  const artifacts = dict<ArtifactData>();
  for (const [id, artifact] of Object.entries(data.artifacts ?? {})) {
    const won = winningClaim(artifact.claims);
    if (!won) continue;
    const claims = dict<ArtifactClaim>();
    claims[won[0]] = won[1];
    artifacts[id] = { claims };
  }
  const executions = dict<ExecutionData>();
  for (const [id, execution] of Object.entries(data.executions ?? {})) {
    const won = winningClaim(execution.claims);
    if (!won) continue;
    const claims = dict<ExecutionClaim>();
    claims[won[0]] = won[1];
    executions[id] = { ...execution, claims };
  }
  return { artifacts, executions };
}
