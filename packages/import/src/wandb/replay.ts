import type { Value } from "@exprun/core";
import type { Report } from "../report.js";
import type { SeriesSettler } from "../settle.js";
import { parsePythonJson } from "../values.js";
import { int64, SKIPPED_RECORDS, type WbItem, type WbRecord } from "./proto.js";

/** History keys W&B writes itself: step, seconds since start, wall time (seconds). */
const STEP_KEY = "_step";
const RUNTIME_KEY = "_runtime";
const TIMESTAMP_KEY = "_timestamp";

/** What replaying one transaction log collects. */
export class Replay {
  runId = "";
  entity = "";
  project = "";
  displayName = "";
  notes = "";
  tags: string[] = [];
  extraTags: Record<string, string> = {};
  startTime: number | undefined;
  config = new Map<string, Value>();
  summary = new Map<string, Value | undefined>();
  /** `files/wandb-summary.json`, used only for keys the log lacks. */
  fileSummary = new Map<string, Value>();
  exit: { code: number; runtime: number; notComplete: boolean } | undefined;
  lastStep = -1;
  lastWall: number | undefined;
  records = 0;
}

function itemKey(item: WbItem): string {
  return item.key || item.nested_key.join(".");
}

function parseItem(item: WbItem, file: string, report: Report): unknown {
  try {
    return parsePythonJson(item.value_json);
  } catch {
    report.skip("unreadableValues");
    report.warn(`${file}: value of ${JSON.stringify(itemKey(item))} is not JSON; skipped`);
    return undefined;
  }
}

/** Replays one record. */
export function apply(
  record: WbRecord,
  st: Replay,
  settler: SeriesSettler,
  report: Report,
  file: string,
): void {
  if (record.run) {
    const run = record.run;
    st.runId = run.run_id || st.runId;
    st.entity = run.entity || st.entity;
    st.project = run.project || st.project;
    st.displayName = run.display_name || st.displayName;
    st.notes = run.notes || st.notes;
    if (run.tags.length > 0) st.tags = [...run.tags];
    const extra: [string, string][] = [
      ["wandb.run_id", run.run_id],
      ["wandb.entity", run.entity],
      ["wandb.group", run.run_group],
      ["wandb.job_type", run.job_type],
      ["wandb.sweep_id", run.sweep_id],
      ["wandb.host", run.host],
      ["wandb.git.commit", run.git?.commit ?? ""],
      ["wandb.git.remote", run.git?.remote_url ?? ""],
    ];
    for (const [key, value] of extra) if (value) st.extraTags[key] = value;
    const seconds = run.start_time ? int64(run.start_time.seconds) : undefined;
    if (seconds !== undefined && seconds > 0) {
      st.startTime = seconds * 1000 + Math.floor((run.start_time?.nanos ?? 0) / 1e6);
    }
    if (run.config) applyConfig(run.config, st, report, file);
    if (run.summary) applySummary(run.summary, st, report, file);
    return;
  }
  if (record.history) applyHistory(record.history, st, settler, report, file);
  else if (record.config) applyConfig(record.config, st, report, file);
  else if (record.summary) applySummary(record.summary, st, report, file);
  else if (record.exit) {
    st.exit = {
      code: record.exit.exit_code,
      runtime: record.exit.runtime,
      notComplete: record.exit.not_complete,
    };
  } else {
    const field = Object.keys(SKIPPED_RECORDS).find((f) => Object.hasOwn(record, f));
    if (field) report.skip(SKIPPED_RECORDS[field]!);
  }
}

function applyHistory(
  history: NonNullable<WbRecord["history"]>,
  st: Replay,
  settler: SeriesSettler,
  report: Report,
  file: string,
): void {
  const values: [string, unknown][] = [];
  let step = history.step ? int64(history.step.num) : undefined;
  let wall: number | undefined;
  for (const item of history.item) {
    const key = itemKey(item);
    const value = parseItem(item, file, report);
    if (key === STEP_KEY) {
      if (step === undefined && typeof value === "number") step = value;
    } else if (key === TIMESTAMP_KEY) {
      if (typeof value === "number" && Number.isFinite(value)) wall = Math.round(value * 1000);
    } else if (key === RUNTIME_KEY) {
      // seconds since start: wall time is `_timestamp`
    } else if (value !== undefined) {
      values.push([key, value]);
    }
  }
  // A row without a step (never written by wandb itself) follows the previous one.
  if (step === undefined) step = st.lastStep + 1;
  if (!Number.isSafeInteger(step) || step < 0) {
    report.skip("invalidSteps", values.length);
    report.warn(`${file}: history row with step ${step} skipped (exprun steps are non-negative integers)`);
    return;
  }
  st.lastStep = Math.max(st.lastStep, step);
  const wallTime = wall ?? st.lastWall ?? st.startTime ?? 0;
  if (st.lastWall === undefined || wallTime > st.lastWall) st.lastWall = wallTime;
  for (const [key, value] of values) {
    for (const [k, v] of flatten(key, value)) {
      if (typeof v === "number") settler.add(k, step, wallTime, v);
      else report.skip(skippedKind(v));
    }
  }
}

function applyConfig(
  config: { update: WbItem[]; remove: WbItem[] },
  st: Replay,
  report: Report,
  file: string,
): void {
  for (const item of config.update) {
    const key = itemKey(item);
    if (key === "_wandb" || key.startsWith("_wandb.")) continue;
    setParam(st, key, parseItem(item, file, report), report);
  }
  for (const item of config.remove) {
    const key = itemKey(item);
    for (const existing of [...st.config.keys()]) {
      if (existing === key || existing.startsWith(`${key}.`)) st.config.delete(existing);
    }
  }
}

export function setParam(st: Replay, key: string, value: unknown, report: Report): void {
  for (const [k, v] of flatten(key, value)) {
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") st.config.set(k, v);
    else if (Array.isArray(v)) st.config.set(k, JSON.stringify(v));
    else report.skip(v === null ? "nullConfigValues" : skippedKind(v));
  }
}

function applySummary(
  summary: { update: WbItem[]; remove: WbItem[] },
  st: Replay,
  report: Report,
  file: string,
): void {
  for (const item of summary.update) {
    const key = itemKey(item);
    if (key.startsWith("_")) continue; // _wandb, _step, _runtime, _timestamp: W&B's own
    for (const [k, v] of flatten(key, parseItem(item, file, report))) {
      if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") st.summary.set(k, v);
      else if (v !== undefined && v !== null) report.skip(skippedKind(v));
    }
  }
  for (const item of summary.remove) st.summary.set(itemKey(item), undefined);
}

/**
 * Nested objects become dotted keys ({"train": {"loss": 1}} → "train.loss"), as W&B's UI shows
 * them; W&B media objects (with a `_type`) and lists are kept whole.
 */
export function* flatten(key: string, value: unknown): Generator<[string, unknown]> {
  if (value && typeof value === "object" && !Array.isArray(value) && !("_type" in value)) {
    for (const [k, v] of Object.entries(value)) yield* flatten(`${key}.${k}`, v);
  } else {
    yield [key, value];
  }
}

/** The summary kind for a history, summary or config value exprun has no place for. */
function skippedKind(value: unknown): string {
  if (value && typeof value === "object" && "_type" in value) {
    const type = String((value as { _type: unknown })._type);
    if (type.startsWith("image")) return "images";
    if (type.startsWith("histogram")) return "histograms";
    if (type.startsWith("table") || type.startsWith("joined-table") || type.startsWith("partitioned-table"))
      return "tables";
    if (type.startsWith("audio")) return "audio";
    if (type.startsWith("video")) return "videos";
    return "media";
  }
  if (Array.isArray(value)) return "listValues";
  return "nonNumericHistory";
}
