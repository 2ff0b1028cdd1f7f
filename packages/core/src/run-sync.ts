/**
 * One routine that brings a run in a target store to a desired state — what `exprun copy` and the
 * importers (MLflow, TensorBoard, W&B) both do. It compares with what the target holds and writes
 * only the differences, through the checked gateway (so every rule and capability applies), streams
 * time series chunk by chunk, keeps create/update times and the run type where the target can, and
 * is idempotent: a second pass with the same desired state writes nothing. `dryRun` counts what
 * would be written without writing.
 */
import type { Backend } from "./backend.js";
import {
  checkChildren,
  checkLinks,
  checkNewRun,
  checkRunPatch,
  checkTensorboardName,
} from "./backend-input.js";
import { type CheckedBackend, checkBackend } from "./checked-backend.js";
import { collectPages } from "./paging.js";
import type { RunChild, RunPatch, RunRecord, RunRef, RunState, TimeSeriesWrite, Value } from "./types.js";
import { SCHEMA } from "./types.js";

/**
 * Points of one metric, column-wise: a `SeriesChunk` of a series read as it is, or plain arrays of
 * equal length. Points of one (metric, step) come in write order; the last one counts.
 */
export interface SyncSeriesChunk {
  metric: string;
  steps: ArrayLike<number>;
  wallTimes: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** The state a run should have in the target. Fields left out are left as the target has them. */
export interface DesiredRun {
  name: string;
  state: RunState;
  /** `system.ExperimentRun` (the default) or legacy `system.Run`; set when the run is created. */
  runType?: string;
  /** Keys set (others in the target are kept, as `logParams` does). */
  params?: Record<string, Value>;
  metrics?: Record<string, Value>;
  /** Tags set (tags the target has beyond these are kept). */
  tags?: Record<string, string>;
  description?: string;
  /** Kept where the target's `capabilities.keepsTimes`; otherwise reported in `timesNotKept`. */
  createTime?: number;
  updateTime?: number;
  /** The TensorBoard to assign when the target needs one for time series and the run has none. */
  tensorboard?: string;
  /**
   * The run's time series, read once, chunk by chunk (never held whole when the run is new in the
   * target). A function is called once, when the series are needed.
   */
  series?:
    | AsyncIterable<SyncSeriesChunk>
    | Iterable<SyncSeriesChunk>
    | (() => AsyncIterable<SyncSeriesChunk> | Iterable<SyncSeriesChunk>);
  /** Ids of artifacts and executions (already in the target) attributed to the run. */
  artifacts?: string[];
  executions?: string[];
  /** Children (pipeline jobs, …), matched by `resourceName`. */
  children?: RunChild[];
}

export interface SyncRunOptions {
  /** Compare and count, write nothing. @default false */
  dryRun?: boolean;
  /** Points per `appendTimeSeries` call. @default 5000 */
  pointsPerWrite?: number;
}

/** What one `syncRun` wrote (or, with `dryRun`, would write). */
export interface SyncRunResult {
  ref: RunRef;
  /** The run did not exist in the target and was (or would be) created. */
  created: boolean;
  params: number;
  metrics: number;
  tags: number;
  description: boolean;
  state: boolean;
  points: number;
  tensorboard: boolean;
  attributions: number;
  children: number;
  /** True when anything at all was (or would be) written. */
  wrote: boolean;
  /** Create/update times were given but the target assigns its own (`capabilities.keepsTimes` false). */
  timesNotKept: boolean;
  /** What could not be brought over, in words (e.g. series for a TensorBoard-bound target without one). */
  warnings: string[];
}

/** The state an experiment should have in the target. */
export interface DesiredExperiment {
  name: string;
  description?: string;
  backingTensorboard?: string;
}

/**
 * Creates the experiment in the target when missing, and sets a description or backing TensorBoard
 * the target lacks. Resolves whether it wrote (or, with `dryRun`, would write).
 */
export async function syncExperiment(
  target: Backend,
  desired: DesiredExperiment,
  options: Pick<SyncRunOptions, "dryRun"> = {},
): Promise<{ created: boolean; updated: boolean }> {
  const backend = checkBackend(target);
  const write = options.dryRun !== true;
  const current = await backend.getExperiment(desired.name);
  if (!current) {
    if (write) {
      await backend.createExperiment({
        name: desired.name,
        ...(desired.description ? { description: desired.description } : {}),
        ...(desired.backingTensorboard ? { backingTensorboard: desired.backingTensorboard } : {}),
      });
    }
    return { created: true, updated: false };
  }
  const patch: { description?: string; backingTensorboard?: string } = {};
  if (desired.description !== undefined && desired.description !== current.description) {
    patch.description = desired.description;
  }
  if (desired.backingTensorboard && !current.backingTensorboard)
    patch.backingTensorboard = desired.backingTensorboard;
  if (Object.keys(patch).length === 0) return { created: false, updated: false };
  if (write) await backend.updateExperiment(desired.name, patch);
  return { created: false, updated: true };
}

/**
 * Brings `desired` about in `experiment` (which must exist in the target: see {@link syncExperiment}).
 * Order: create the run if missing (with its run type and times), TensorBoard, time series (only
 * points the target lacks or holds with another value or wall time), attributions, children, and
 * last the record (params, metrics, tags, note, state — and the update time, so that it ends as given).
 *
 * A new run's series are streamed straight through, `pointsPerWrite` at a time. An existing run's
 * series are compared with the target's, which are read once (memory: about the points of that run).
 */
export async function syncRun(
  target: Backend,
  experiment: string,
  desired: DesiredRun,
  options: SyncRunOptions = {},
): Promise<SyncRunResult> {
  const backend = checkBackend(target);
  const write = options.dryRun !== true;
  const keepsTimes = backend.capabilities.keepsTimes;
  checkDesired(experiment, desired, { capabilities: backend.capabilities, backend: backend.name });
  const result: SyncRunResult = {
    ref: { experiment, run: desired.name },
    created: false,
    params: 0,
    metrics: 0,
    tags: 0,
    description: false,
    state: false,
    points: 0,
    tensorboard: false,
    attributions: 0,
    children: 0,
    wrote: false,
    timesNotKept: !keepsTimes && (desired.createTime !== undefined || desired.updateTime !== undefined),
    warnings: [],
  };

  let current = await backend.getRun({ experiment, run: desired.name });
  if (!current) {
    result.created = true;
    if (write) {
      current = await backend.createRun(experiment, {
        name: desired.name,
        state: desired.state,
        ...(desired.runType ? { runType: desired.runType } : {}),
        ...(desired.createTime !== undefined ? { createTime: desired.createTime } : {}),
        ...(desired.updateTime !== undefined ? { updateTime: desired.updateTime } : {}),
      });
    }
  } else {
    const runType = desired.runType ?? SCHEMA.experimentRun;
    if (current.runType !== runType) {
      result.warnings.push(
        `${experiment}/${desired.name} is a ${current.runType} in the target, not a ${runType}: a run's type is set when it is created.`,
      );
    }
    if (keepsTimes && desired.createTime !== undefined && current.createTime !== desired.createTime) {
      result.warnings.push(
        `${experiment}/${desired.name} was created at another time in the target; a run's create time is set when it is created.`,
      );
    }
  }
  // From here on, `current` is what the target holds (or, in a dry run of a new run, nothing).
  const ref: RunRef = current?.incarnation
    ? { experiment, run: desired.name, incarnation: current.incarnation }
    : { experiment, run: desired.name };
  result.ref = ref;
  const fresh = result.created;

  await syncSeries(backend, ref, desired, current, fresh, write, options.pointsPerWrite ?? 5000, result);
  await syncLinks(backend, ref, desired, fresh, write, result);
  await syncRecord(backend, ref, desired, current, keepsTimes, write, result);
  result.wrote =
    result.created ||
    result.params + result.metrics + result.tags + result.points + result.attributions + result.children >
      0 ||
    result.description ||
    result.state ||
    result.tensorboard;
  return result;
}

async function syncSeries(
  backend: CheckedBackend,
  ref: RunRef,
  desired: DesiredRun,
  current: RunRecord | undefined,
  fresh: boolean,
  write: boolean,
  pointsPerWrite: number,
  result: SyncRunResult,
): Promise<void> {
  if (desired.tensorboard && !current?.tensorboardRun) {
    if (write) await backend.assignRunTensorboard(ref, desired.tensorboard);
    result.tensorboard = true;
  }
  if (desired.series === undefined) return;
  if (backend.capabilities.requiresTensorboard && !current?.tensorboardRun && !result.tensorboard) {
    result.warnings.push(
      `The time series of ${ref.experiment}/${ref.run} were not written: the ${backend.name} store needs a ` +
        "TensorBoard for them. Give the run (or its experiment) a backing TensorBoard and sync again.",
    );
    return;
  }
  const chunks = typeof desired.series === "function" ? desired.series() : desired.series;
  const pending: TimeSeriesWrite[] = [];
  const queue = async (metric: string, step: number, wallTime: number, value: number) => {
    pending.push({ step, wallTime, values: { [metric]: value } });
    result.points++;
    if (pending.length >= pointsPerWrite) await flush();
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const writes = pending.splice(0);
    if (write) await backend.appendTimeSeries(ref, writes);
  };
  if (fresh) {
    // Nothing to compare with: stream every point through (a later point of a step supersedes an earlier one).
    for await (const { metric, steps, wallTimes, values } of chunks) {
      for (let i = 0; i < steps.length; i++) await queue(metric, steps[i]!, wallTimes[i]!, values[i]!);
    }
  } else {
    // Settle both sides to one point per (metric, step), the last, then write where they differ.
    const have = await settledPoints(backend, ref);
    const want = new Map<string, Map<number, { wallTime: number; value: number }>>();
    for await (const { metric, steps, wallTimes, values } of chunks) {
      let byStep = want.get(metric);
      if (!byStep) {
        byStep = new Map();
        want.set(metric, byStep);
      }
      for (let i = 0; i < steps.length; i++)
        byStep.set(steps[i]!, { wallTime: wallTimes[i]!, value: values[i]! });
    }
    for (const [metric, byStep] of want) {
      const held = have.get(metric);
      for (const [step, point] of byStep) {
        const other = held?.get(step);
        if (other && other.wallTime === point.wallTime && Object.is(other.value, point.value)) continue;
        await queue(metric, step, point.wallTime, point.value);
      }
    }
  }
  await flush();
}

/** The target's points of a run, one per (metric, step): the last written; read chunk by chunk. */
async function settledPoints(
  backend: CheckedBackend,
  ref: RunRef,
): Promise<Map<string, Map<number, { wallTime: number; value: number }>>> {
  const out = new Map<string, Map<number, { wallTime: number; value: number }>>();
  for await (const { metric, steps, wallTimes, values } of backend.readSeries(ref)) {
    let byStep = out.get(metric);
    if (!byStep) {
      byStep = new Map();
      out.set(metric, byStep);
    }
    for (let i = 0; i < steps.length; i++)
      byStep.set(steps[i]!, { wallTime: wallTimes[i]!, value: values[i]! });
  }
  return out;
}

async function syncLinks(
  backend: CheckedBackend,
  ref: RunRef,
  desired: DesiredRun,
  fresh: boolean,
  write: boolean,
  result: SyncRunResult,
): Promise<void> {
  const wantArtifacts = desired.artifacts ?? [];
  const wantExecutions = desired.executions ?? [];
  if (wantArtifacts.length || wantExecutions.length) {
    const haveArtifacts =
      fresh || !wantArtifacts.length
        ? new Set<string>()
        : new Set(
            (await collectPages((page) => backend.listArtifacts({ ...page, run: ref }))).map((a) => a.id),
          );
    const haveExecutions =
      fresh || !wantExecutions.length
        ? new Set<string>()
        : new Set(
            (await collectPages((page) => backend.listExecutions({ ...page, run: ref }))).map((e) => e.id),
          );
    const missing = {
      artifacts: [...new Set(wantArtifacts)].filter((id) => !haveArtifacts.has(id)),
      executions: [...new Set(wantExecutions)].filter((id) => !haveExecutions.has(id)),
    };
    const count = missing.artifacts.length + missing.executions.length;
    if (count > 0) {
      if (write) await backend.attributeToRun(ref, missing);
      result.attributions += count;
    }
  }
  if (desired.children?.length) {
    const have = new Set(fresh ? [] : (await backend.listRunChildren(ref)).map((c) => c.resourceName));
    const missing = desired.children.filter((c) => !have.has(c.resourceName));
    if (missing.length) {
      if (write) await backend.addRunChildren(ref, missing);
      result.children += missing.length;
    }
  }
}

async function syncRecord(
  backend: CheckedBackend,
  ref: RunRef,
  desired: DesiredRun,
  current: RunRecord | undefined,
  keepsTimes: boolean,
  write: boolean,
  result: SyncRunResult,
): Promise<void> {
  const patch: RunPatch = {};
  const params = changed(desired.params, current?.params);
  const metrics = changed(desired.metrics, current?.metrics);
  const tags = changed(desired.tags, current?.tags);
  if (params) patch.params = params;
  if (metrics) patch.metrics = metrics;
  if (tags) patch.tags = tags;
  if (desired.description !== undefined && desired.description !== (current?.description ?? "")) {
    patch.description = desired.description;
  }
  // A new run is created in the desired state; an existing one changes state here.
  if (current && current.state !== desired.state) patch.state = desired.state;
  const changes = Object.keys(patch).length > 0;
  // Every record write bumps the update time to now: give the desired one with it, so it ends as given.
  if (
    keepsTimes &&
    desired.updateTime !== undefined &&
    (changes || current?.updateTime !== desired.updateTime)
  ) {
    patch.updateTime = desired.updateTime;
  }
  if (Object.keys(patch).length === 0) return;
  if (write) await backend.updateRun(ref, patch);
  result.params += Object.keys(params ?? {}).length;
  result.metrics += Object.keys(metrics ?? {}).length;
  result.tags += Object.keys(tags ?? {}).length;
  result.description = patch.description !== undefined;
  result.state = patch.state !== undefined && !result.created;
}

/**
 * Everything but the series is checked before the first write, with the target's rules, so a value
 * the target cannot keep leaves the target untouched (not a run created and then refused).
 */
function checkDesired(
  experiment: string,
  desired: DesiredRun,
  rules: Parameters<typeof checkRunPatch>[1],
): void {
  checkNewRun(
    experiment,
    { name: desired.name, state: desired.state, runType: desired.runType, createTime: desired.createTime },
    rules,
  );
  checkRunPatch(
    {
      params: desired.params,
      metrics: desired.metrics,
      tags: desired.tags,
      description: desired.description,
      updateTime: desired.updateTime,
    },
    rules,
  );
  if (desired.tensorboard !== undefined) checkTensorboardName(desired.tensorboard);
  checkLinks({ artifacts: desired.artifacts, executions: desired.executions });
  if (desired.children !== undefined) checkChildren(desired.children, rules);
}

/** The entries of `wanted` that `held` lacks or holds with another value (or type). */
function changed<V extends Value>(
  wanted: Record<string, V> | undefined,
  held: Record<string, V> | undefined,
): Record<string, V> | undefined {
  if (!wanted) return undefined;
  const out: Record<string, V> = {};
  let any = false;
  for (const key of Object.keys(wanted)) {
    const value = wanted[key]!;
    if (held && Object.hasOwn(held, key) && Object.is(held[key], value)) continue;
    out[key] = value;
    any = true;
  }
  return any ? out : undefined;
}
