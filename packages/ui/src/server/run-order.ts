import {
  compareRows,
  type Field,
  type FilterRow,
  FilterSyntaxError,
  fieldValue,
  parseJson,
  parseSort,
  type SortKey,
  stringifyJson,
  type Value,
} from "@exprun/core";
import { ApiError } from "./query.js";

/**
 * The runs table's order: sort keys of core's filter language, the one the CLI's `--sort` reads
 * (`metric.acc:desc,param.lr,created`; `created`/`updated` are the run's times).
 */
export type OrderKey = SortKey;

export const MAX_SORT_KEYS = 5;

/** The table's default order: newest first. */
export const DEFAULT_SORT = "created:desc";

/** `metric.acc:desc,param.lr` → keys; a 400 that points at the bad key otherwise. */
export function parseOrder(text: string): OrderKey[] {
  let keys: SortKey[];
  try {
    keys = parseSort(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      throw new ApiError(400, "INVALID_PARAMETER", `Query parameter "sort": ${error.message}`, "sort");
    }
    throw error;
  }
  if (keys.length > MAX_SORT_KEYS) {
    throw new ApiError(
      400,
      "INVALID_PARAMETER",
      `Query parameter "sort": at most ${MAX_SORT_KEYS} keys.`,
      "sort",
    );
  }
  return keys;
}

/** A total order: core's order of the keys, then the run name (unique in an experiment), so keyset pages never overlap. */
export function compareOrder(keys: readonly OrderKey[], a: FilterRow, b: FilterRow): number {
  return compareRows(keys, a, b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Whether the order reads latest time-series values (which a listing gives only when asked). */
export function orderNeedsSeries(keys: readonly OrderKey[]): boolean {
  return keys.some((k) => k.field.kind === "series");
}

// ── keyset cursors ───────────────────────────────────────────────────────────────────────────────

interface CursorJson {
  /** The sort text (and direction) the cursor belongs to. */
  s: string;
  /** The run name of the last row. */
  n: string;
  /** Per key: [] for a missing value, [value] otherwise. */
  v: ([] | [Value])[];
}

/** The position after `row` in the order, as an opaque URL-safe token. */
export function encodeCursor(sortId: string, keys: readonly OrderKey[], row: FilterRow): string {
  const json: CursorJson = {
    s: sortId,
    n: row.name,
    v: keys.map((key) => {
      const value = fieldValue(row, key.field);
      return value === undefined ? [] : [value];
    }),
  };
  return Buffer.from(stringifyJson(json), "utf8").toString("base64url");
}

/** The row a cursor stands for (only the fields its keys read), or a 400 `BAD_CURSOR`. */
export function decodeCursor(token: string, sortId: string, keys: readonly OrderKey[]): FilterRow {
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
  if (json.s !== sortId) throw bad("the cursor belongs to another sort order.");
  const row: CursorRow = {
    experiment: "",
    name: json.n,
    runType: "",
    state: "",
    createTime: 0,
    updateTime: 0,
    params: {},
    metrics: {},
    tags: {},
    latestTimeSeries: {},
  };
  keys.forEach((key, i) => {
    const cell = json.v[i]!;
    if (cell.length === 1 && !setField(row, key.field, cell[0]))
      throw bad("not a cursor this server issued.");
  });
  return row;
}

type CursorRow = FilterRow & {
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  tags: Record<string, string>;
  latestTimeSeries: Record<string, { value: number }>;
};

function isValue(v: unknown): v is Value {
  return typeof v === "number" || typeof v === "string" || typeof v === "boolean";
}

/** Puts a cursor's value where `fieldValue` reads it; false when it cannot be that field's value. */
function setField(row: CursorRow, field: Field, value: Value): boolean {
  switch (field.kind) {
    case "param":
      row.params[field.key] = value;
      return true;
    case "metric":
      row.metrics[field.key] = value;
      return true;
    case "series":
      if (typeof value !== "number") return false;
      row.latestTimeSeries[field.key] = { value };
      return true;
    case "tag":
      if (typeof value !== "string") return false;
      row.tags[field.key] = value;
      return true;
    case "created":
    case "updated":
      if (typeof value !== "number") return false;
      row[field.kind === "created" ? "createTime" : "updateTime"] = value;
      return true;
    case "state":
      row.state = String(value);
      return true;
    case "run_name":
      row.name = String(value);
      return true;
    case "experiment":
      row.experiment = String(value);
      return true;
    case "run_type":
      row.runType = String(value);
      return true;
  }
}
