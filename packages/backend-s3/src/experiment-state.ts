import type { ExperimentRecord, RunChild, RunRecord, RunState, SeriesPoint, Value } from "@exprun/core";
import {
  currentClaim,
  joinClaims,
  joinFirstDict,
  joinFirstStampedDict,
  joinStamped,
  joinStampedDict,
  type Stamped,
} from "./crdt.js";
import { type Dict, dict, setOwn } from "./dict.js";

/**
 * The state of one experiment's log. Everything written to a creation of the experiment or of a run
 * is kept under that creation's incarnation (the version of its claim), so a write addressed to a
 * deleted creation can never show in a newer one, whatever its version says: versions order
 * writes within one creation, incarnations separate creations.
 */

/** The latest point of one metric, ordered by step, then by `o` (chunk version and index: write order). */
export interface LatestPoint {
  step: number;
  wallTime: number;
  value: number;
  o: string;
}

export interface ExperimentClaim {
  /** Generation: 1 for the first creation of the name, one more after each deletion. */
  g: number;
  description: string;
  backingTensorboard?: string | undefined;
  createTime: number;
}

/** What is written to one creation of an experiment after it. */
export interface ExperimentFields {
  description?: Stamped<string> | undefined;
  backingTensorboard?: Stamped<string | null> | undefined;
  updateTime?: Stamped<number> | undefined;
}

export interface RunClaim {
  g: number;
  /** The experiment creation the run was created in. */
  e: string;
  state: RunState;
  runType: string;
  createTime: number;
  updateTime?: number | undefined;
}

/** Everything written to one creation of a run after it. */
export interface RunFields {
  state?: Stamped<RunState> | undefined;
  params?: Dict<Stamped<Value>>;
  metrics?: Dict<Stamped<Value>>;
  tags?: Dict<Stamped<string | null>>;
  description?: Stamped<string> | undefined;
  tensorboardRun?: Stamped<string> | undefined;
  latest?: Dict<LatestPoint>;
  /** Artifact / execution id → version of the first attribution. */
  artifacts?: Dict<string>;
  executions?: Dict<string>;
  /** Child resource name → the child, first addition wins. */
  children?: Dict<Stamped<RunChild>>;
  updateTime?: Stamped<number> | undefined;
}

/** One run name: its creations (claims), which of them were deleted, and what each holds. */
export interface RunData {
  claims?: Dict<RunClaim>;
  /** Incarnation → version of the deletion. */
  deleted?: Dict<string>;
  incs?: Dict<RunFields>;
}

/** An experiment and its runs: the body of every delta and tombstone under `meta/`. */
export interface ExperimentData {
  claims?: Dict<ExperimentClaim>;
  deleted?: Dict<string>;
  incs?: Dict<ExperimentFields>;
  runs?: Dict<RunData>;
}

function laterPoint(a: LatestPoint | undefined, b: LatestPoint): boolean {
  return a === undefined || b.step > a.step || (b.step === a.step && b.o > a.o);
}

function sub<T>(target: object, key: string): Dict<T> {
  const record = target as Record<string, Dict<T> | undefined>;
  let value = record[key];
  if (value === undefined) {
    value = dict<T>();
    record[key] = value;
  }
  return value;
}

function child<T extends object>(parent: Dict<T>, key: string): T {
  let value = parent[key];
  if (value === undefined) {
    value = {} as T;
    parent[key] = value;
  }
  return value;
}

export function joinRunFields(into: RunFields, from: RunFields): void {
  into.state = joinStamped(into.state, from.state);
  into.description = joinStamped(into.description, from.description);
  into.tensorboardRun = joinStamped(into.tensorboardRun, from.tensorboardRun);
  into.updateTime = joinStamped(into.updateTime, from.updateTime);
  if (from.params) joinStampedDict(sub<Stamped<Value>>(into, "params"), from.params);
  if (from.metrics) joinStampedDict(sub<Stamped<Value>>(into, "metrics"), from.metrics);
  if (from.tags) joinStampedDict(sub<Stamped<string | null>>(into, "tags"), from.tags);
  if (from.artifacts) joinFirstDict(sub(into, "artifacts"), from.artifacts);
  if (from.executions) joinFirstDict(sub(into, "executions"), from.executions);
  if (from.children) joinFirstStampedDict(sub<Stamped<RunChild>>(into, "children"), from.children);
  if (from.latest) {
    const latest = sub<LatestPoint>(into, "latest");
    for (const [metric, point] of Object.entries(from.latest)) {
      if (laterPoint(latest[metric], point)) latest[metric] = point;
    }
  }
}

function joinRun(into: RunData, from: RunData): void {
  if (from.claims) joinClaims(sub(into, "claims"), from.claims);
  if (from.deleted) joinFirstDict(sub(into, "deleted"), from.deleted);
  if (from.incs) {
    const incs = sub<RunFields>(into, "incs");
    for (const [inc, fields] of Object.entries(from.incs)) joinRunFields(child(incs, inc), fields);
  }
}

export function joinExperiment(into: ExperimentData, from: ExperimentData): void {
  if (from.claims) joinClaims(sub(into, "claims"), from.claims);
  if (from.deleted) joinFirstDict(sub(into, "deleted"), from.deleted);
  if (from.incs) {
    const incs = sub<ExperimentFields>(into, "incs");
    for (const [inc, fields] of Object.entries(from.incs)) {
      const target = child(incs, inc);
      target.description = joinStamped(target.description, fields.description);
      target.backingTensorboard = joinStamped(target.backingTensorboard, fields.backingTensorboard);
      target.updateTime = joinStamped(target.updateTime, fields.updateTime);
    }
  }
  if (from.runs) {
    const runs = sub<RunData>(into, "runs");
    for (const [name, run] of Object.entries(from.runs)) joinRun(child(runs, name), run);
  }
}

/** The experiment's latest creation (alive or deleted), if it was ever created. */
export function topExperiment(data: ExperimentData) {
  return currentClaim(data.claims, data.deleted);
}

/** The incarnation and claim of the experiment's live creation. */
export function experimentIncarnation(
  data: ExperimentData,
): { v: string; claim: ExperimentClaim } | undefined {
  const top = topExperiment(data);
  return top?.alive ? top : undefined;
}

/** The run's latest creation within the live experiment (alive or deleted). */
export function topRun(data: ExperimentData, run: string) {
  const experiment = experimentIncarnation(data);
  const runData = data.runs?.[run];
  if (!experiment || !runData) return undefined;
  return currentClaim(runData.claims, runData.deleted, (claim) => claim.e === experiment.v);
}

/** The incarnation and claim of the run's live creation. */
export function runIncarnation(
  data: ExperimentData,
  run: string,
): { v: string; claim: RunClaim } | undefined {
  const top = topRun(data, run);
  return top?.alive ? top : undefined;
}

export function runFields(data: ExperimentData, run: string, inc: string): RunFields {
  return data.runs?.[run]?.incs?.[inc] ?? {};
}

export function experimentView(name: string, data: ExperimentData): ExperimentRecord | undefined {
  const live = experimentIncarnation(data);
  if (!live) return undefined;
  const { v, claim } = live;
  const fields = data.incs?.[v] ?? {};
  const tensorboard = fields.backingTensorboard ? fields.backingTensorboard.x : claim.backingTensorboard;
  return {
    name,
    description: fields.description?.x ?? claim.description,
    backingTensorboard: tensorboard ?? undefined,
    createTime: claim.createTime,
    updateTime: fields.updateTime?.x ?? claim.createTime,
  };
}

function values(source: Dict<Stamped<Value>> | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [key, stamp] of Object.entries(source ?? {})) setOwn(out, key, stamp.x);
  return out;
}

export function latestView(fields: RunFields): Record<string, SeriesPoint> {
  const out: Record<string, SeriesPoint> = {};
  for (const [metric, p] of Object.entries(fields.latest ?? {})) {
    setOwn(out, metric, { metric, step: p.step, wallTime: p.wallTime, value: p.value });
  }
  return out;
}

/** The record of the run's live creation (its `incarnation` is the creation's claim version). */
export function runView(
  experiment: string,
  run: string,
  data: ExperimentData,
  withLatest = false,
): RunRecord | undefined {
  const live = runIncarnation(data, run);
  if (!live) return undefined;
  const { v, claim } = live;
  const fields = runFields(data, run, v);
  const record: RunRecord = {
    experiment,
    name: run,
    incarnation: v,
    runType: claim.runType,
    state: fields.state?.x ?? claim.state,
    params: values(fields.params),
    metrics: values(fields.metrics),
    tags: tagsView(fields),
    description: fields.description?.x ?? "",
    tensorboardRun: fields.tensorboardRun?.x,
    createTime: claim.createTime,
    updateTime: fields.updateTime?.x ?? claim.updateTime ?? claim.createTime,
  };
  if (withLatest) record.latestTimeSeries = latestView(fields);
  return record;
}

/** Tags of a run creation (deleted tags left out). */
export function tagsView(fields: RunFields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, stamp] of Object.entries(fields.tags ?? {}))
    if (stamp.x !== null) setOwn(out, key, stamp.x);
  return out;
}

/** Names of live runs in creation order, each with its incarnation. */
export function liveRuns(data: ExperimentData): { name: string; inc: string }[] {
  const out: { name: string; inc: string }[] = [];
  for (const name of Object.keys(data.runs ?? {})) {
    const live = runIncarnation(data, name);
    if (live) out.push({ name, inc: live.v });
  }
  return out.sort((a, b) => (a.inc < b.inc ? -1 : a.inc > b.inc ? 1 : 0));
}

export function runLinks(fields: RunFields, kind: "artifacts" | "executions"): string[] {
  return Object.entries(fields[kind] ?? {})
    .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([id]) => id);
}

export function runChildren(fields: RunFields): RunChild[] {
  return Object.values(fields.children ?? {})
    .sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0))
    .map((stamp) => structuredClone(stamp.x));
}

function one<T>(key: string, value: T): Dict<T> {
  const out = dict<T>();
  out[key] = value;
  return out;
}

function pruneRun(run: RunData, experimentInc: string): RunData | undefined {
  const top = currentClaim(run.claims, run.deleted, (claim) => claim.e === experimentInc);
  if (!top) return undefined;
  const kept: RunData = { claims: one(top.v, top.claim) };
  if (!top.alive) kept.deleted = one(top.v, run.deleted?.[top.v] as string);
  else {
    const fields = run.incs?.[top.v];
    if (fields) kept.incs = one(top.v, fields);
  }
  return kept;
}

/**
 * What a snapshot keeps of the joined state: the latest creation of the experiment and of each of
 * its runs, what was written to the live ones, and deletion markers of the latest creations (their
 * generations, so that the next creation takes the next one). Everything dropped is dead for good:
 * it belongs to a creation that is neither the latest nor alive.
 */
export function pruneExperiment(data: ExperimentData): ExperimentData {
  const top = topExperiment(data);
  if (!top) return {};
  const kept: ExperimentData = { claims: one(top.v, top.claim) };
  if (!top.alive) {
    kept.deleted = one(top.v, data.deleted?.[top.v] as string);
    return kept;
  }
  const fields = data.incs?.[top.v];
  if (fields) kept.incs = one(top.v, fields);
  const runs = dict<RunData>();
  for (const [name, run] of Object.entries(data.runs ?? {})) {
    const pruned = pruneRun(run, top.v);
    if (pruned) runs[name] = pruned;
  }
  kept.runs = runs;
  return kept;
}

/** A delta that touches one creation of one run. */
export function runDelta(run: string, inc: string, fields: RunFields): ExperimentData {
  return { runs: one(run, { incs: one(inc, fields) }) };
}

export function runClaimDelta(run: string, v: string, claim: RunClaim): ExperimentData {
  return { runs: one(run, { claims: one(v, claim) }) };
}

export function runDeletionDelta(run: string, inc: string, claim: RunClaim, v: string): ExperimentData {
  return { runs: one(run, { claims: one(inc, claim), deleted: one(inc, v) }) };
}

export function experimentClaimDelta(v: string, claim: ExperimentClaim): ExperimentData {
  return { claims: one(v, claim) };
}

export function experimentTombstone(inc: string, claim: ExperimentClaim, v: string): ExperimentData {
  return { claims: one(inc, claim), deleted: one(inc, v) };
}

export function experimentFieldsDelta(inc: string, fields: ExperimentFields): ExperimentData {
  return { incs: one(inc, fields) };
}

export { one };
