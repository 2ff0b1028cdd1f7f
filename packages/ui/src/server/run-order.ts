import { parseJson, type RunRecord, stringifyJson, type Value } from "@exprun/core";
import {
  compareRows,
  type Field,
  type FilterRow,
  FilterSyntaxError,
  fieldValue,
  parseSortKey,
  type SortKey,
  SortKeyError,
} from "./filter-language.js";
import { ApiError } from "./query.js";

/**
 * A key of the runs table's order: a field of the filter language (`metric.acc:desc`), or one of the
 * run's times, which the table shows as columns but the filter language does not name.
 */
export type OrderKey =
  | { kind: "field"; key: SortKey; text: string }
  | { kind: "time"; time: "createTime" | "updateTime"; descending: boolean; text: string };

export const MAX_SORT_KEYS = 5;
const TIME_KEYS: Record<string, "createTime" | "updateTime"> = {
  created: "createTime",
  create_time: "createTime",
  updated: "updateTime",
  update_time: "updateTime",
};

/** The table's default order: newest first. */
export const DEFAULT_SORT = "created:desc";

/** `metric.acc:desc,param.lr` → keys; a 400 naming the bad key otherwise. */
export function parseOrder(text: string): OrderKey[] {
  const parts = splitKeys(text);
  if (parts.length > MAX_SORT_KEYS) {
    throw new ApiError(
      400,
      "INVALID_PARAMETER",
      `Query parameter "sort": at most ${MAX_SORT_KEYS} keys.`,
      "sort",
    );
  }
  return parts.map((part): OrderKey => {
    const trimmed = part.trim();
    const time = /^(-)?([a-z_]+)(?:(?::|\s+)(asc|desc))?$/i.exec(trimmed);
    const timeKey = time && TIME_KEYS[time[2]!.toLowerCase()];
    if (time && timeKey) {
      const descending = time[1] === "-" || time[3]?.toLowerCase() === "desc";
      return { kind: "time", time: timeKey, descending, text: trimmed };
    }
    try {
      return { kind: "field", key: parseSortKey(trimmed), text: trimmed };
    } catch (error) {
      if (error instanceof SortKeyError || error instanceof FilterSyntaxError) {
        throw new ApiError(400, "INVALID_PARAMETER", `Query parameter "sort": ${error.message}`, "sort");
      }
      throw error;
    }
  });
}

/** Splits on commas outside quotes and backticks (a key may be quoted: metric.`a,b`). */
function splitKeys(text: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let current = "";
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "`" || c === "'" || c === '"') {
      quote = c;
    } else if (c === ",") {
      parts.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  parts.push(current);
  if (parts.some((p) => p.trim() === "")) {
    throw new ApiError(400, "INVALID_PARAMETER", `Query parameter "sort": has an empty key.`, "sort");
  }
  return parts;
}

/** A run as the order and the filter read it. */
export interface OrderRow extends FilterRow {
  createTime: number;
  updateTime: number;
}

export function toOrderRow(run: RunRecord): OrderRow {
  let series: Record<string, number> | undefined;
  if (run.latestTimeSeries) {
    series = {};
    for (const [metric, point] of Object.entries(run.latestTimeSeries)) series[metric] = point.value;
  }
  return {
    experiment: run.experiment,
    run_name: run.name,
    run_type: run.runType,
    state: run.state,
    params: run.params,
    metrics: run.metrics,
    ...(series ? { series } : {}),
    createTime: run.createTime,
    updateTime: run.updateTime,
  };
}

/** A total order: the keys, then the run name (unique in an experiment), so that keyset pages never overlap. */
export function compareOrder(keys: readonly OrderKey[], a: OrderRow, b: OrderRow): number {
  for (const key of keys) {
    let order: number;
    if (key.kind === "time") {
      order = a[key.time] - b[key.time];
      if (key.descending) order = -order;
    } else {
      order = compareRows(key.key, a, b);
    }
    if (order !== 0) return order;
  }
  return a.run_name < b.run_name ? -1 : a.run_name > b.run_name ? 1 : 0;
}

/** Whether the order reads latest time-series values (which a listing gives only when asked). */
export function orderNeedsSeries(keys: readonly OrderKey[]): boolean {
  return keys.some((k) => k.kind === "field" && k.key.field.kind === "series");
}

// ── keyset cursors ───────────────────────────────────────────────────────────────────────────────

interface CursorJson {
  /** The sort text the cursor belongs to. */
  s: string;
  /** The run name of the last row. */
  n: string;
  /** Per key: [] for a missing value, [value] otherwise. */
  v: ([] | [Value])[];
}

/** The position after `row` in the order, as an opaque URL-safe token. */
export function encodeCursor(sortText: string, keys: readonly OrderKey[], row: OrderRow): string {
  const json: CursorJson = {
    s: sortText,
    n: row.run_name,
    v: keys.map((key) => {
      const value = key.kind === "time" ? row[key.time] : fieldValue(row, key.key.field);
      return value === undefined ? [] : [value];
    }),
  };
  return Buffer.from(stringifyJson(json), "utf8").toString("base64url");
}

/** The row a cursor stands for (only the fields its keys read), or a 400 `BAD_CURSOR`. */
export function decodeCursor(token: string, sortText: string, keys: readonly OrderKey[]): OrderRow {
  const bad = (why: string) =>
    new ApiError(400, "BAD_CURSOR", `Query parameter "after": ${why} Start again without "after".`, "after");
  let json: CursorJson;
  try {
    json = parseJson<CursorJson>(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw bad("not a cursor this server issued.");
  }
  if (
    typeof json !== "object" ||
    json === null ||
    typeof json.s !== "string" ||
    typeof json.n !== "string" ||
    !Array.isArray(json.v) ||
    json.v.length !== keys.length ||
    !json.v.every((v) => Array.isArray(v) && v.length <= 1 && v.every(isValue))
  ) {
    throw bad("not a cursor this server issued.");
  }
  if (json.s !== sortText) throw bad("the cursor belongs to another sort order.");
  const row: OrderRow = {
    experiment: "",
    run_name: json.n,
    run_type: "",
    state: "",
    params: {},
    metrics: {},
    series: {},
    createTime: 0,
    updateTime: 0,
  };
  keys.forEach((key, i) => {
    const cell = json.v[i]!;
    if (key.kind === "time") {
      if (typeof cell[0] !== "number") throw bad("not a cursor this server issued.");
      row[key.time] = cell[0];
    } else if (cell.length === 1) {
      setField(row, key.key.field, cell[0]);
    }
  });
  return row;
}

function isValue(v: unknown): v is Value {
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean";
}

function setField(row: OrderRow, field: Field, value: Value): void {
  switch (field.kind) {
    case "param":
      row.params[field.key] = value;
      return;
    case "metric":
      row.metrics[field.key] = value;
      return;
    case "series":
      if (typeof value === "number") row.series![field.key] = value;
      return;
    case "state":
      row.state = String(value);
      return;
    case "run_name":
      row.run_name = String(value);
      return;
    case "experiment":
      row.experiment = String(value);
      return;
    case "run_type":
      row.run_type = String(value);
      return;
  }
}
