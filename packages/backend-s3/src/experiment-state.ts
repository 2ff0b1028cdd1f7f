import type { ExperimentRecord, RunChild, RunRecord, RunState, SeriesPoint, Value } from "@exprun/core";
import { versionTime } from "./clock.js";
import {
  joinClaims,
  joinFirstDict,
  joinFirstStampedDict,
  joinStamped,
  joinStampedDict,
  liveEntries,
  maxVersion,
  type Stamped,
  winningClaim,
} from "./crdt.js";
import { type Dict, dict, setOwn, toDict } from "./dict.js";

/** The latest point of one metric, ordered by step, then by `o` (chunk version and index: write order). */
export interface LatestPoint {
  step: number;
  wallTime: number;
  value: number;
  o: string;
  /** Version of the run's creation the point belongs to. */
  inc: string;
}

export interface ExperimentClaim {
  description: string;
  backingTensorboard?: string | undefined;
}

export interface RunClaim {
  state: RunState;
  runType: string;
}

/** Everything about one run; a delta carries only what it changes. */
export interface RunData {
  claims?: Dict<RunClaim>;
  deletedAt?: string | undefined;
  state?: Stamped<RunState> | undefined;
  params?: Dict<Stamped<Value>>;
  metrics?: Dict<Stamped<Value>>;
  tensorboardRun?: Stamped<string> | undefined;
  latest?: Dict<LatestPoint>;
  /** Artifact / execution id → version of the first attribution. */
  artifacts?: Dict<string>;
  executions?: Dict<string>;
  /** Child resource name → the child, first addition wins. */
  children?: Dict<Stamped<RunChild>>;
  touched?: string | undefined;
}

/** An experiment and its runs: the body of every delta and snapshot object under `meta/`. */
export interface ExperimentData {
  claims?: Dict<ExperimentClaim>;
  deletedAt?: string | undefined;
  description?: Stamped<string> | undefined;
  backingTensorboard?: Stamped<string | null> | undefined;
  touched?: string | undefined;
  runs?: Dict<RunData>;
}

function laterPoint(a: LatestPoint | undefined, b: LatestPoint): boolean {
  return a === undefined || b.step > a.step || (b.step === a.step && b.o > a.o);
}

function sub<T>(target: { [k: string]: unknown }, key: string): Dict<T> {
  let value = target[key] as Dict<T> | undefined;
  if (value === undefined) {
    value = dict<T>();
    target[key] = value;
  }
  return value;
}

export function joinRun(into: RunData, from: RunData): void {
  const target = into as { [k: string]: unknown };
  if (from.claims) joinClaims(sub(target, "claims"), toDict(from.claims));
  into.deletedAt = maxVersion(into.deletedAt, from.deletedAt);
  into.state = joinStamped(into.state, from.state);
  into.tensorboardRun = joinStamped(into.tensorboardRun, from.tensorboardRun);
  if (from.params) joinStampedDict(sub<Stamped<Value>>(target, "params"), from.params);
  if (from.metrics) joinStampedDict(sub<Stamped<Value>>(target, "metrics"), from.metrics);
  if (from.artifacts) joinFirstDict(sub(target, "artifacts"), from.artifacts);
  if (from.executions) joinFirstDict(sub(target, "executions"), from.executions);
  if (from.children) joinFirstStampedDict(sub<Stamped<RunChild>>(target, "children"), from.children);
  if (from.latest) {
    const latest = sub<LatestPoint>(target, "latest");
    for (const [metric, point] of Object.entries(from.latest)) {
      if (laterPoint(latest[metric], point)) latest[metric] = point;
    }
  }
  into.touched = maxVersion(into.touched, from.touched);
}

export function joinExperiment(into: ExperimentData, from: ExperimentData): void {
  const target = into as { [k: string]: unknown };
  if (from.claims) joinClaims(sub(target, "claims"), from.claims);
  into.deletedAt = maxVersion(into.deletedAt, from.deletedAt);
  into.description = joinStamped(into.description, from.description);
  into.backingTensorboard = joinStamped(into.backingTensorboard, from.backingTensorboard);
  into.touched = maxVersion(into.touched, from.touched);
  if (from.runs) {
    const runs = sub<RunData>(target, "runs");
    for (const [name, run] of Object.entries(from.runs)) {
      let current = runs[name];
      if (current === undefined) {
        current = {};
        runs[name] = current;
      }
      joinRun(current, run);
    }
  }
}

/** The version of the experiment's current creation, when it exists. */
export function experimentIncarnation(data: ExperimentData): [string, ExperimentClaim] | undefined {
  return winningClaim(data.claims, data.deletedAt);
}

/** The version of the run's current creation, when it exists. */
export function runIncarnation(data: ExperimentData, run: string): [string, RunClaim] | undefined {
  const experiment = experimentIncarnation(data);
  const runData = data.runs?.[run];
  if (!experiment || !runData) return undefined;
  return winningClaim(runData.claims, runData.deletedAt, experiment[0]);
}

export function experimentView(name: string, data: ExperimentData): ExperimentRecord | undefined {
  const incarnation = experimentIncarnation(data);
  if (!incarnation) return undefined;
  const [v, claim] = incarnation;
  const description = data.description && data.description.v > v ? data.description.x : claim.description;
  const tensorboard =
    data.backingTensorboard && data.backingTensorboard.v > v
      ? data.backingTensorboard.x
      : claim.backingTensorboard;
  let updated = v;
  for (const stamp of [data.description, data.backingTensorboard])
    if (stamp && stamp.v > updated) updated = stamp.v;
  return {
    name,
    description,
    backingTensorboard: tensorboard ?? undefined,
    createTime: versionTime(v),
    updateTime: versionTime(updated),
  };
}

function values(source: Dict<Stamped<Value>> | undefined, floor: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [key, stamp] of liveEntries(source, floor)) setOwn(out, key, stamp.x);
  return out;
}

export function latestView(runData: RunData, inc: string): Record<string, SeriesPoint> {
  const out: Record<string, SeriesPoint> = {};
  for (const [metric, p] of Object.entries(runData.latest ?? {})) {
    if (p.inc === inc) setOwn(out, metric, { metric, step: p.step, wallTime: p.wallTime, value: p.value });
  }
  return out;
}

export function runView(
  experiment: string,
  run: string,
  data: ExperimentData,
  withLatest = false,
): (RunRecord & { inc: string }) | undefined {
  const incarnation = runIncarnation(data, run);
  const runData = data.runs?.[run];
  if (!incarnation || !runData) return undefined;
  const [v, claim] = incarnation;
  const state = runData.state && runData.state.v > v ? runData.state.x : claim.state;
  const tensorboardRun =
    runData.tensorboardRun && runData.tensorboardRun.v > v ? runData.tensorboardRun.x : undefined;
  const touched = runData.touched && runData.touched > v ? runData.touched : v;
  const record: RunRecord & { inc: string } = {
    experiment,
    name: run,
    // adapter: replaced by issue 10/11/13 — the creation version is the incarnation; tags and the note
    // are not persisted yet, and refs' incarnations are not checked yet.
    incarnation: v,
    tags: {},
    description: "",
    runType: claim.runType,
    state,
    params: values(runData.params, v),
    metrics: values(runData.metrics, v),
    tensorboardRun,
    createTime: versionTime(v),
    updateTime: versionTime(touched),
    inc: v,
  };
  if (withLatest) record.latestTimeSeries = latestView(runData, v);
  return record;
}

/** Names of live runs in creation order, each with its creation version. */
export function liveRuns(data: ExperimentData): { name: string; inc: string }[] {
  const out: { name: string; inc: string }[] = [];
  for (const name of Object.keys(data.runs ?? {})) {
    const incarnation = runIncarnation(data, name);
    if (incarnation) out.push({ name, inc: incarnation[0] });
  }
  return out.sort((a, b) => (a.inc < b.inc ? -1 : a.inc > b.inc ? 1 : 0));
}

export function runLinks(data: ExperimentData, run: string, kind: "artifacts" | "executions"): string[] {
  const incarnation = runIncarnation(data, run);
  const links = data.runs?.[run]?.[kind];
  if (!incarnation || !links) return [];
  return Object.entries(links)
    .filter(([, v]) => v > incarnation[0])
    .sort((a, b) => (a[1] < b[1] ? -1 : 1))
    .map(([id]) => id);
}

export function runChildren(data: ExperimentData, run: string): RunChild[] {
  const incarnation = runIncarnation(data, run);
  const children = data.runs?.[run]?.children;
  if (!incarnation || !children) return [];
  return liveEntries(children, incarnation[0])
    .sort((a, b) => (a[1].v < b[1].v ? -1 : 1))
    .map(([, stamp]) => structuredClone(stamp.x));
}

function pruneRun(run: RunData, experimentV: string): RunData | undefined {
  const incarnation = winningClaim(run.claims, run.deletedAt, experimentV);
  if (!incarnation) return run.deletedAt ? { deletedAt: run.deletedAt } : undefined;
  const [v, claim] = incarnation;
  const keep = <T>(source: Dict<Stamped<T>> | undefined) => {
    const out = dict<Stamped<T>>();
    for (const [key, stamp] of liveEntries(source, v)) out[key] = stamp;
    return out;
  };
  const keepFirst = (source: Dict<string> | undefined) => {
    const out = dict<string>();
    for (const [key, first] of Object.entries(source ?? {})) if (first > v) out[key] = first;
    return out;
  };
  const latest = dict<LatestPoint>();
  for (const [metric, point] of Object.entries(run.latest ?? {})) if (point.inc === v) latest[metric] = point;
  const claims = dict<RunClaim>();
  claims[v] = claim;
  return {
    claims,
    deletedAt: run.deletedAt,
    state: run.state && run.state.v > v ? run.state : undefined,
    params: keep(run.params),
    metrics: keep(run.metrics),
    tensorboardRun: run.tensorboardRun && run.tensorboardRun.v > v ? run.tensorboardRun : undefined,
    latest,
    artifacts: keepFirst(run.artifacts),
    executions: keepFirst(run.executions),
    children: keep(run.children),
    touched: run.touched,
  };
}

/**
 * What a snapshot keeps of the joined state: the current creation of the experiment and each run,
 * what was written after it, and deletion markers (so a late object from a deleted incarnation
 * cannot bring it back). Dropped parts are dead under every later join.
 */
export function pruneExperiment(data: ExperimentData): ExperimentData {
  const incarnation = experimentIncarnation(data);
  if (!incarnation) return { deletedAt: data.deletedAt };
  const [v, claim] = incarnation;
  const claims = dict<ExperimentClaim>();
  claims[v] = claim;
  const runs = dict<RunData>();
  for (const [name, run] of Object.entries(data.runs ?? {})) {
    const kept = pruneRun(run, v);
    if (kept) runs[name] = kept;
  }
  return {
    claims,
    deletedAt: data.deletedAt,
    description: data.description && data.description.v > v ? data.description : undefined,
    backingTensorboard:
      data.backingTensorboard && data.backingTensorboard.v > v ? data.backingTensorboard : undefined,
    touched: data.touched,
    runs,
  };
}
