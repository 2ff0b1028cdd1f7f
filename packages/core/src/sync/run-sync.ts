import type { CheckedBackend } from "../checked-backend.js";
import { parseTensorboardRunName } from "../names.js";
import { collectPages } from "../paging.js";
import type { RunChild, RunPatch, RunRecord, RunRef, RunState, Value } from "../types.js";
import { changedEntries } from "./equal.js";
import { fitTagsToLabels, labelKey } from "./labels.js";
import { backendSeries, type SeriesReader, syncSeries } from "./series-sync.js";

/** What a run should hold in the target: a run of another store (`exprun copy`) or of another tracker (import). */
export interface RunSyncSource {
  name: string;
  /** `system.ExperimentRun` unless given; kept when the run is created (copies keep `system.Run`). */
  runType?: string;
  state: RunState;
  params: Readonly<Record<string, Value>>;
  metrics: Readonly<Record<string, Value>>;
  tags?: Readonly<Record<string, string>>;
  description?: string;
  /** Kept where the target keeps times (`capabilities.keepsTimes`); otherwise the target's own. */
  createTime?: number;
  updateTime?: number;
  /** The source run's TensorBoard run resource name, when it has one (its TensorBoard is assigned). */
  tensorboardRun?: string | undefined;
  /** The run's points, read as chunks; called once or a few times, each call a fresh stream. */
  series?: SeriesReader;
  /** Artifacts and executions (their ids in the target) to attribute to the run. */
  artifacts?: readonly string[];
  executions?: readonly string[];
  /** Children such as pipeline jobs. */
  children?: readonly RunChild[];
}

export interface RunSyncOptions {
  /** Compare and count, write nothing. @default false */
  dryRun?: boolean;
  /**
   * The target's record of the run when the caller has it (from `listRuns`), `null` when it knows the
   * run is absent; omitted, the run is read.
   */
  existing?: RunRecord | null;
  /** The TensorBoard to give the run on a store that needs one for series, when the source names none. */
  backingTensorboard?: string | undefined;
  /**
   * The caller created the run just now (`existing` is that record): it holds nothing yet, so its
   * series, links and children are not read back. @default false
   */
  fresh?: boolean;
}

/** What one {@link syncRun} wrote (or, with `dryRun`, would write). */
export interface RunSyncResult {
  /** The run in the target after the sync (for a dry run, what it would hold as far as known). */
  record: RunRecord;
  created: boolean;
  /** Whether anything was (or would be) written. */
  wrote: boolean;
  params: number;
  metrics: number;
  states: number;
  tags: number;
  notes: number;
  times: number;
  points: number;
  tensorboards: number;
  attributions: number;
  children: number;
  warnings: string[];
}

/**
 * Brings one run of `target` to the state `source` describes, writing only the differences, through
 * the checked backend (every rule of core applies): the run is created when missing (with its run
 * type and, where the store keeps them, its create and update times); params, metrics, tags (the
 * source's keys; a tag only the target has stays) and the note are merged; the state is set; the
 * series are compared bucket by bucket and only missing or changed points are written, chunk by chunk
 * ({@link syncSeries}); the TensorBoard, attributions and children the target lacks are added; last,
 * the update time is set to the source's. Never deletes anything. A second call with the same source
 * writes nothing. This is `exprun copy`'s engine and the importers'.
 */
export async function syncRun(
  target: CheckedBackend,
  experiment: string,
  source: RunSyncSource,
  options: RunSyncOptions = {},
): Promise<RunSyncResult> {
  const dryRun = options.dryRun === true;
  const keepsTimes = target.capabilities.keepsTimes;
  const result: Omit<RunSyncResult, "record"> = {
    created: false,
    wrote: false,
    params: 0,
    metrics: 0,
    states: 0,
    tags: 0,
    notes: 0,
    times: 0,
    points: 0,
    tensorboards: 0,
    attributions: 0,
    children: 0,
    warnings: [],
  };
  const name = { experiment, run: source.name };
  let current =
    options.existing === null ? undefined : (options.existing ?? (await target.getRun(name)) ?? undefined);
  const fresh = current === undefined || options.fresh === true;
  // A time write is counted for a run that was there when its update time was not the source's and no
  // changed value carried it; judged before any write, so a dry run (which cannot know whether the
  // store moves the update time on later writes) counts what a real one does.
  const timeDiffers =
    keepsTimes && source.updateTime !== undefined && current?.updateTime !== source.updateTime;
  if (!current) {
    result.created = result.wrote = true;
    const times = keepsTimes
      ? {
          ...(source.createTime !== undefined ? { createTime: source.createTime } : {}),
          ...(source.updateTime !== undefined ? { updateTime: source.updateTime } : {}),
        }
      : {};
    const created = {
      name: source.name,
      state: source.state,
      ...(source.runType ? { runType: source.runType } : {}),
      ...times,
    };
    current = dryRun ? planned(experiment, source) : await target.createRun(experiment, created);
    if (keepsTimes && (source.createTime !== undefined || source.updateTime !== undefined)) result.times++;
  } else if (source.runType && current.runType !== source.runType) {
    result.warnings.push(
      `${experiment}/${source.name} is a ${current.runType} in the target and a ${source.runType} in the source; its type was kept.`,
    );
  }
  const ref: RunRef = current.incarnation ? { ...name, incarnation: current.incarnation } : name;

  const patch: RunPatch = {};
  const params = keepable(
    target,
    changedEntries(source.params, current.params),
    "param",
    ref,
    result.warnings,
  );
  const metrics = keepable(
    target,
    changedEntries(source.metrics, current.metrics),
    "metric",
    ref,
    result.warnings,
  );
  const tags = source.tags
    ? changedEntries(keepableTags(target, source.tags, current.tags, ref, result.warnings), current.tags)
    : undefined;
  if (params) patch.params = params;
  if (metrics) patch.metrics = metrics;
  if (tags) patch.tags = tags;
  if (!result.created && source.state !== current.state) patch.state = source.state;
  if (source.description !== undefined && source.description !== current.description)
    patch.description = source.description;
  if (Object.keys(patch).length) {
    if (keepsTimes && source.updateTime !== undefined) patch.updateTime = source.updateTime;
    if (!dryRun) current = await target.updateRun(ref, patch);
    // A dry run counts what the real one writes: the update above would already set the update time.
    else if (patch.updateTime !== undefined) current = { ...current, updateTime: patch.updateTime };
    result.params += Object.keys(params ?? {}).length;
    result.metrics += Object.keys(metrics ?? {}).length;
    result.tags += Object.keys(tags ?? {}).length;
    if (patch.state) result.states++;
    if (patch.description !== undefined) result.notes++;
    result.wrote = true;
  }

  // Other writes may move the run's update time; it is set back to the source's at the end.
  let touched = false;
  const points = await syncRunSeries(target, ref, source, current, options, fresh, result);
  if (points === "skipped") {
    // A warning says why; nothing else to do for the series.
  } else if (points > 0) {
    result.points += points;
    result.wrote = true;
  }
  touched ||= result.tensorboards > 0;

  const links = await missingLinks(target, ref, source, fresh);
  if (links.artifacts.length || links.executions.length) {
    if (!dryRun) await target.attributeToRun(ref, links);
    result.attributions += links.artifacts.length + links.executions.length;
    result.wrote = touched = true;
  }
  if (source.children?.length) {
    const have = new Set(fresh ? [] : (await target.listRunChildren(ref)).map((c) => c.resourceName));
    const missing = source.children.filter((c) => !have.has(c.resourceName));
    if (missing.length) {
      if (!dryRun) await target.addRunChildren(ref, [...missing]);
      result.children += missing.length;
      result.wrote = touched = true;
    }
  }

  // A run created for this sync got its times when it was created (and was counted then). For a run
  // that was there, the update time is set back to the source's after this sync's own writes moved it;
  // that restore is part of keeping the time, never a time write of its own.
  const newRun = result.created || options.fresh === true;
  if (!newRun && timeDiffers && patch.updateTime === undefined) result.times++;
  if (keepsTimes && source.updateTime !== undefined && !(dryRun && newRun)) {
    const now = touched && !dryRun ? ((await target.getRun(ref)) ?? current) : current;
    if (now.updateTime !== source.updateTime) {
      if (!dryRun) current = await target.updateRun(ref, { updateTime: source.updateTime });
      result.wrote = true;
    }
  }
  return { record: current, ...result };
}

/**
 * The values a store can keep: on one without `nonFiniteValues` (Vertex), NaN and ±Infinity in params
 * and metrics are left out with a warning naming each, instead of failing the whole run (the gateway
 * would refuse the patch) or being stored as something else.
 */
function keepable(
  target: CheckedBackend,
  values: Record<string, Value> | undefined,
  kind: "param" | "metric",
  ref: RunRef,
  warnings: string[],
): Record<string, Value> | undefined {
  if (!values || target.capabilities.nonFiniteValues) return values;
  const out: Record<string, Value> = {};
  let any = false;
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === "number" && !Number.isFinite(value)) {
      warnings.push(
        `${ref.experiment}/${ref.run}: ${kind} ${JSON.stringify(key)} = ${value} was not copied: the ${target.name} store cannot keep NaN or ±Infinity in ${kind}s.`,
      );
      continue;
    }
    out[key] = value;
    any = true;
  }
  return any ? out : undefined;
}

/**
 * The tags a store can keep: on one with `tagsAsLabels` (Vertex), keys are renamed to label keys (the
 * documented rule, {@link labelKey}) and a tag that cannot be a label is left out with a warning naming
 * it ({@link fitTagsToLabels}), instead of failing the whole run (the gateway would refuse the patch).
 */
function keepableTags(
  target: CheckedBackend,
  tags: Readonly<Record<string, string>>,
  current: Readonly<Record<string, string>>,
  ref: RunRef,
  warnings: string[],
): Readonly<Record<string, string>> {
  if (!target.capabilities.tagsAsLabels) return tags;
  const fit = fitTagsToLabels(tags, current);
  for (const { key, value, reason } of fit.left) {
    const why =
      reason === "value"
        ? `its value ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}…` : value)} is not a label value (at most 63 lowercase letters, digits, _ or -)`
        : reason === "key"
          ? `its key renames to ${JSON.stringify(labelKey(key))}, which is empty or another tag's`
          : "the run would have more than 64 labels";
    warnings.push(
      `${ref.experiment}/${ref.run}: tag ${JSON.stringify(key)} was not copied: the ${target.name} store keeps tags as labels and ${why}.`,
    );
  }
  return fit.tags;
}

/** The TensorBoard the run's series need (when the store needs one), then the series themselves. */
async function syncRunSeries(
  target: CheckedBackend,
  ref: RunRef,
  source: RunSyncSource,
  current: RunRecord,
  options: RunSyncOptions,
  fresh: boolean,
  result: Omit<RunSyncResult, "record">,
): Promise<number | "skipped"> {
  const dryRun = options.dryRun === true;
  const tensorboard =
    source.tensorboardRun !== undefined
      ? (parseTensorboardRunName(source.tensorboardRun)?.tensorboard ?? source.tensorboardRun)
      : target.capabilities.requiresTensorboard
        ? options.backingTensorboard
        : undefined;
  let hasTensorboard = current.tensorboardRun !== undefined;
  const read = source.series;
  if (tensorboard && !hasTensorboard && (source.tensorboardRun !== undefined || read)) {
    // Only when there is something to plot, unless the source itself had one.
    const anyPoint = source.tensorboardRun !== undefined || (await hasPoints(read!));
    if (anyPoint) {
      if (!dryRun) await target.assignRunTensorboard(ref, tensorboard);
      result.tensorboards++;
      result.wrote = true;
      hasTensorboard = true;
    }
  }
  if (!read) return 0;
  if (target.capabilities.requiresTensorboard && !hasTensorboard) {
    if (await hasPoints(read)) {
      result.warnings.push(
        `Time series of ${ref.experiment}/${ref.run} were not copied: the target needs a TensorBoard for them. ` +
          `Give the experiment a backing TensorBoard in the target (exprun experiments create … --tensorboard) and copy again.`,
      );
    }
    return "skipped";
  }
  return syncSeries(
    read,
    fresh ? async function* () {} : backendSeries(target, ref),
    (writes) => target.appendTimeSeries(ref, writes),
    { fresh, dryRun },
  );
}

async function hasPoints(read: SeriesReader): Promise<boolean> {
  for await (const chunk of read()) if (chunk.steps.length > 0) return true;
  return false;
}

async function missingLinks(
  target: CheckedBackend,
  ref: RunRef,
  source: RunSyncSource,
  fresh: boolean,
): Promise<{ artifacts: string[]; executions: string[] }> {
  const wanted = { artifacts: source.artifacts ?? [], executions: source.executions ?? [] };
  if (!wanted.artifacts.length && !wanted.executions.length) return { artifacts: [], executions: [] };
  const have = fresh
    ? { artifacts: new Set<string>(), executions: new Set<string>() }
    : {
        artifacts: new Set(
          wanted.artifacts.length
            ? (await collectPages((page) => target.listArtifacts({ ...page, run: ref }))).map((a) => a.id)
            : [],
        ),
        executions: new Set(
          wanted.executions.length
            ? (await collectPages((page) => target.listExecutions({ ...page, run: ref }))).map((e) => e.id)
            : [],
        ),
      };
  return {
    artifacts: [...new Set(wanted.artifacts)].filter((id) => !have.artifacts.has(id)),
    executions: [...new Set(wanted.executions)].filter((id) => !have.executions.has(id)),
  };
}

/** The record a dry run pretends it created: empty, so that every value counts as to be written. */
function planned(experiment: string, source: RunSyncSource): RunRecord {
  return {
    experiment,
    name: source.name,
    incarnation: "",
    runType: source.runType ?? "system.ExperimentRun",
    state: source.state,
    params: {},
    metrics: {},
    tags: {},
    description: "",
    createTime: source.createTime ?? 0,
    updateTime: source.updateTime ?? 0,
  };
}
