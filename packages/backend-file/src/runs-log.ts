import type { RunChild, RunRecord, RunState, SeriesPoint } from "@exprun/core";
import { applyTags, isLaterPoint, SCHEMA } from "@exprun/core";
import { expectNumber, expectString, type LogRecord, optionalObject, optionalStrings } from "./jsonl.js";
import type { Reducer } from "./log-view.js";
import {
  copyMetadata,
  decodeMetadata,
  decodeScalar,
  decodeValues,
  encodeDeep,
  encodeNumber,
  encodeValues,
} from "./values.js";

/** A run as folded from its experiment's `runs.jsonl`. */
export interface RunEntry
  extends Pick<
    RunRecord,
    "name" | "runType" | "state" | "params" | "metrics" | "tags" | "description" | "createTime" | "updateTime"
  > {
  /** The incarnation id from the winning `create` record; records of other incarnations are ignored. */
  uid: string;
  /** Position of the create record in the log: creation order and page tokens. */
  seq: number;
  tensorboardRun?: string;
  latest: Record<string, SeriesPoint>;
  /**
   * Per metric, the largest step a `durable` latest record names: a flush made that point durable, so
   * the series file must have it (a file without it was truncated).
   */
  durable?: Record<string, number>;
  artifacts: string[];
  executions: string[];
  children: RunChild[];
}

export interface RunsState {
  /** In creation order (a re-created run moves to the end). */
  runs: Map<string, RunEntry>;
  /**
   * Deleted incarnations per run name: their data directories (`runs/<run>.<uid>/`) may still exist
   * where a deleting process was killed before removing them, and are removed by later deletes.
   */
  dead: Map<string, string[]>;
}

function pushUnique(list: string[], items: readonly string[]): void {
  for (const item of items) if (!list.includes(item)) list.push(item);
}

function decodeLatest(value: Record<string, unknown>): Record<string, SeriesPoint> {
  const out: Record<string, SeriesPoint> = {};
  for (const metric in value) {
    const p = value[metric] as { step: number; wallTime: number; value: unknown };
    out[metric] = { metric, step: p.step, wallTime: p.wallTime, value: decodeScalar(p.value) as number };
  }
  return out;
}

function encodeLatest(latest: Record<string, SeriesPoint>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const metric in latest) {
    const p = latest[metric]!;
    out[metric] = { step: p.step, wallTime: p.wallTime, value: encodeNumber(p.value) };
  }
  return out;
}

/** The `latest` record a time-series flush appends to `runs.jsonl`. */
export function encodeLatestRecord(
  run: string,
  uid: string,
  latest: Record<string, SeriesPoint>,
  durable: boolean,
): unknown {
  const record: Record<string, unknown> = {
    op: "latest",
    run,
    uid,
    t: Date.now(),
    series: encodeLatest(latest),
  };
  if (durable) record.durable = true; // written after the series file was fsynced with every point
  return record;
}

function decodeChildren(value: unknown): RunChild[] {
  if (!Array.isArray(value)) throw new Error(`field "children" must be an array`);
  return value.map((c: Record<string, unknown>) => {
    const child: RunChild = {
      schemaTitle: String(c.schemaTitle),
      resourceName: String(c.resourceName),
      displayName: String(c.displayName ?? ""),
    };
    if (c.metadata !== undefined) child.metadata = decodeMetadata(c.metadata);
    return child;
  });
}

export function encodeChildren(children: readonly RunChild[]): unknown[] {
  return children.map((c) =>
    c.metadata === undefined ? { ...c } : { ...c, metadata: encodeDeep(c.metadata) },
  );
}

/** A `tags` field: string values set a tag, `null` deletes it. */
function optionalTags(record: LogRecord): Record<string, string | null> | undefined {
  const tags = optionalObject(record, "tags");
  if (tags === undefined) return undefined;
  for (const key in tags) {
    const value = tags[key];
    if (value !== null && typeof value !== "string") throw new Error(`tag "${key}" must be a string or null`);
  }
  return tags as Record<string, string | null>;
}

function optionalTime(record: LogRecord, field: string): number | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw new Error(`field "${field}" must be a number`);
  return value;
}

function applyRecord(state: RunsState, record: LogRecord, seq: number): void {
  const op = expectString(record, "op");
  const name = expectString(record, "run");
  const id = expectString(record, "uid");
  const time = expectNumber(record, "t");
  const current = state.runs.get(name);
  if (op === "create") {
    const runState = expectString(record, "state") as RunState;
    // Kept times (importers, copies) when the creator gave them; else the record's time.
    const createTime = optionalTime(record, "createTime") ?? time;
    const updateTime = optionalTime(record, "updateTime") ?? createTime;
    if (current) return; // a racing creator that lost
    state.runs.set(name, {
      name,
      uid: id,
      seq,
      runType: typeof record.runType === "string" ? record.runType : SCHEMA.experimentRun,
      state: runState,
      params: {},
      metrics: {},
      tags: {},
      description: "",
      createTime,
      updateTime,
      latest: {},
      artifacts: [],
      executions: [],
      children: [],
    });
    return;
  }
  if (!current || current.uid !== id) {
    if (!["update", "delete", "tensorboard", "latest", "attribute", "children"].includes(op)) {
      throw new Error(`unknown operation "${op}"`);
    }
    return; // a record for a deleted incarnation
  }
  switch (op) {
    case "update": {
      // Every field is checked before anything changes: a bad record leaves the run as it was.
      const params = optionalObject(record, "params");
      const metrics = optionalObject(record, "metrics");
      const tags = optionalTags(record);
      const description = record.description;
      if (description !== undefined && typeof description !== "string") {
        throw new Error(`field "description" must be a string`);
      }
      const updateTime = optionalTime(record, "updateTime");
      if (params) Object.assign(current.params, decodeValues(params));
      if (metrics) Object.assign(current.metrics, decodeValues(metrics));
      if (typeof record.state === "string") current.state = record.state as RunState;
      if (tags) current.tags = applyTags(current.tags, tags);
      if (description !== undefined) current.description = description;
      current.updateTime = updateTime ?? time;
      return;
    }
    case "delete": {
      state.runs.delete(name);
      const dead = state.dead.get(name);
      if (dead) dead.push(id);
      else state.dead.set(name, [id]);
      return;
    }
    case "tensorboard":
      current.tensorboardRun = expectString(record, "tensorboardRun");
      break;
    case "latest": {
      const latest = decodeLatest(optionalObject(record, "series") ?? {});
      for (const metric in latest) {
        const point = latest[metric]!;
        if (isLaterPoint(current.latest[metric], point)) current.latest[metric] = point;
      }
      if (record.durable === true) {
        current.durable ??= {};
        for (const metric in latest) {
          const step = latest[metric]!.step;
          if (typeof step === "number" && !(current.durable[metric]! >= step)) current.durable[metric] = step;
        }
      }
      return; // time series do not change the run's updateTime
    }
    case "attribute":
      pushUnique(current.artifacts, optionalStrings(record, "artifacts"));
      pushUnique(current.executions, optionalStrings(record, "executions"));
      break;
    case "children":
      for (const child of decodeChildren(record.children)) {
        if (!current.children.some((c) => c.resourceName === child.resourceName))
          current.children.push(child);
      }
      break;
    default:
      throw new Error(`unknown operation "${op}"`);
  }
  current.updateTime = time;
}

export const runsReducer: Reducer<RunsState> = {
  empty: () => ({ runs: new Map(), dead: new Map() }),
  apply: applyRecord,
  problemKey: (record) => (typeof record?.run === "string" ? record.run : undefined),
  snapshot: {
    encode: (state) => ({
      runs: [...state.runs.values()].map((r) => ({
        ...r,
        params: encodeValues(r.params),
        metrics: encodeValues(r.metrics),
        latest: encodeLatest(r.latest),
        children: encodeChildren(r.children),
      })),
      dead: Object.fromEntries(state.dead),
    }),
    decode: (json, tagged) => {
      const { runs: list, dead } = json as { runs: RunEntry[]; dead: Record<string, string[]> };
      const runs = new Map<string, RunEntry>();
      for (const r of list) {
        if (tagged) {
          decodeValues(r.params);
          decodeValues(r.metrics);
        }
        r.latest = decodeLatest(r.latest);
        r.tags ??= {};
        r.description ??= "";
        if (r.children.length > 0) r.children = decodeChildren(r.children);
        runs.set(r.name, r);
      }
      return { runs, dead: new Map(Object.entries(dead)) };
    },
  },
};

/** The public record of a run entry: a fresh copy. */
export function toRunRecord(experiment: string, entry: RunEntry, withLatest: boolean): RunRecord {
  const record: RunRecord = {
    experiment,
    name: entry.name,
    incarnation: entry.uid,
    tags: { ...entry.tags },
    description: entry.description,
    runType: entry.runType,
    state: entry.state,
    params: { ...entry.params },
    metrics: { ...entry.metrics },
    createTime: entry.createTime,
    updateTime: entry.updateTime,
  };
  if (entry.tensorboardRun !== undefined) record.tensorboardRun = entry.tensorboardRun;
  if (withLatest) {
    const latest: Record<string, SeriesPoint> = {};
    for (const metric in entry.latest) latest[metric] = { ...entry.latest[metric]! };
    record.latestTimeSeries = latest;
  }
  return record;
}

export function copyChildren(children: readonly RunChild[]): RunChild[] {
  return children.map((c) =>
    c.metadata === undefined ? { ...c } : { ...c, metadata: copyMetadata(c.metadata) },
  );
}
