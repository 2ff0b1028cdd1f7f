import type { Value } from "../types.js";
import type { Expr, Field, Literal, Operator } from "./parser.js";

/**
 * What a filter or sort key reads from one run. Every {@link RunRecord} is one; `tags` is read when
 * the record has it, and `time_series_metric.*` fields read `latestTimeSeries` (list runs with
 * `withLatestTimeSeries` to have it).
 */
export interface FilterRow {
  experiment: string;
  name: string;
  runType: string;
  state: string;
  createTime: number;
  updateTime: number;
  params: Readonly<Record<string, Value>>;
  metrics: Readonly<Record<string, Value>>;
  tags?: Readonly<Record<string, string>> | undefined;
  latestTimeSeries?: Readonly<Record<string, { value: number }>> | undefined;
}

/** The value a field has in a run, or `undefined` when the run lacks it. */
export function fieldValue(row: FilterRow, field: Field): Value | undefined {
  switch (field.kind) {
    case "param":
      return own(row.params, field.key);
    case "metric":
      return own(row.metrics, field.key);
    case "series":
      return row.latestTimeSeries ? own(row.latestTimeSeries, field.key)?.value : undefined;
    case "tag":
      return row.tags ? own(row.tags, field.key) : undefined;
    case "state":
      return row.state;
    case "run_name":
      return row.name;
    case "experiment":
      return row.experiment;
    case "run_type":
      return row.runType;
    case "created":
      return row.createTime;
    case "updated":
      return row.updateTime;
  }
}

/** Own keys only: a filter on `param.constructor` must not read `Object.prototype`. */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * True when the run matches. A comparison on a value the run lacks is false (SQL's NULL rule), so
 * `param.opt != 'adam'` and `param.opt NOT IN ('adam')` do not match runs without `opt`. Numbers
 * compare with numbers, strings with strings (case-sensitive, except `state`), booleans with
 * booleans; across types only `!=` (and `NOT IN`) holds. LIKE and ILIKE match strings only.
 */
export function evaluate(expr: Expr, row: FilterRow): boolean {
  switch (expr.type) {
    case "and":
      return evaluate(expr.left, row) && evaluate(expr.right, row);
    case "or":
      return evaluate(expr.left, row) || evaluate(expr.right, row);
    case "not":
      return !evaluate(expr.expr, row);
    case "cmp": {
      const actual = fieldValue(row, expr.field);
      if (actual === undefined) return false;
      return compare(fold(expr.field, actual), expr.op, fold(expr.field, expr.value));
    }
    case "in": {
      const actual = fieldValue(row, expr.field);
      if (actual === undefined) return false;
      const value = fold(expr.field, actual);
      const found = expr.values.some((v) => compare(value, "=", fold(expr.field, v)));
      return expr.negated ? !found : found;
    }
    case "like": {
      const actual = fieldValue(row, expr.field);
      if (typeof actual !== "string") return false;
      const matched = likeRegExp(expr.pattern, expr.caseInsensitive || expr.field.kind === "state").test(
        actual,
      );
      return expr.negated ? !matched : matched;
    }
  }
}

/** States compare case-insensitively (`state = complete`). */
function fold<T extends Value>(field: Field, value: T): T {
  return (field.kind === "state" && typeof value === "string" ? value.toUpperCase() : value) as T;
}

function compare(actual: Value, op: Operator, expected: Literal): boolean {
  if (typeof actual !== typeof expected) return op === "!=";
  if (typeof actual === "number" && typeof expected === "number") {
    if (Number.isNaN(actual) || Number.isNaN(expected)) {
      const both = Number.isNaN(actual) && Number.isNaN(expected);
      return op === "=" ? both : op === "!=" ? !both : false;
    }
  }
  switch (op) {
    case "=":
      return actual === expected;
    case "!=":
      return actual !== expected;
    case "<":
      return actual < expected;
    case "<=":
      return actual <= expected;
    case ">":
      return actual > expected;
    case ">=":
      return actual >= expected;
  }
}

const likeCache = new Map<string, RegExp>();

/** SQL LIKE: `%` any run of characters, `_` one character, `\%` and `\_` themselves; the whole value must match. */
export function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const cacheKey = `${caseInsensitive ? "i" : "s"}${pattern}`;
  let re = likeCache.get(cacheKey);
  if (!re) {
    let source = "";
    const chars = [...pattern];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === "\\" && (chars[i + 1] === "%" || chars[i + 1] === "_")) {
        source += chars[++i];
      } else if (c === "%") source += "[\\s\\S]*";
      else if (c === "_") source += "[\\s\\S]";
      else source += c.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
    }
    re = new RegExp(`^${source}$`, caseInsensitive ? "iu" : "u");
    if (likeCache.size > 256) likeCache.clear();
    likeCache.set(cacheKey, re);
  }
  return re;
}
