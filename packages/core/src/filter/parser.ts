import { MLFLOW_RUN_STATES, RUN_STATES } from "../types.js";
import { FilterSyntaxError, type Token, tokenize } from "./lexer.js";

export type Literal = number | string | boolean;
export type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** Where a compared value comes from. */
export type Field =
  | { kind: "param" | "metric" | "series" | "tag"; key: string }
  | { kind: "state" | "run_name" | "experiment" | "run_type" | "created" | "updated" };

export type Expr =
  | { type: "and" | "or"; left: Expr; right: Expr }
  | { type: "not"; expr: Expr }
  | { type: "cmp"; field: Field; op: Operator; value: Literal }
  | { type: "in"; field: Field; values: Literal[]; negated: boolean }
  | { type: "like"; field: Field; pattern: string; caseInsensitive: boolean; negated: boolean };

const PREFIXES: Record<string, "param" | "metric" | "series" | "tag"> = {
  param: "param",
  params: "param",
  metric: "metric",
  metrics: "metric",
  time_series_metric: "series",
  series: "series",
  tag: "tag",
  tags: "tag",
};

/** Run attributes by every name MLflow and the DataFrame use for them (`attributes.status`, `run_name`, …). */
const ATTRIBUTES: Record<string, Field["kind"]> = {
  state: "state",
  status: "state",
  run_name: "run_name",
  run: "run_name",
  name: "run_name",
  experiment: "experiment",
  experiment_name: "experiment",
  run_type: "run_type",
  created: "created",
  create_time: "created",
  creation_time: "created",
  start_time: "created",
  updated: "updated",
  update_time: "updated",
  last_update_time: "updated",
};
const BARE = new Set([
  "state",
  "run_name",
  "run",
  "experiment",
  "experiment_name",
  "run_type",
  "created",
  "updated",
  "create_time",
  "update_time",
]);

const FIELD_HELP =
  "param.<key>, metric.<key>, time_series_metric.<key>, tag.<key>, state, run_name, experiment, created or updated";

/**
 * Parses a filter such as `metric.accuracy > 0.9 and (param.lr = 0.1 or state = COMPLETE)`.
 * `not` binds tighter than `and`, which binds tighter than `or`. Besides comparisons it has
 * `FIELD [NOT] IN (v, …)`, `FIELD [NOT] LIKE 'pat%'` and `ILIKE` (case-insensitive), and time
 * comparisons on `created` / `updated` (an ISO date, UTC unless it says otherwise, or milliseconds).
 * Errors are {@link FilterSyntaxError}s that point at the column.
 */
export function parseFilter(expression: string): Expr {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (ahead = 0): Token => tokens[Math.min(i + ahead, tokens.length - 1)]!;
  const next = (): Token => tokens[i++]!;
  const fail = (message: string, token: Token = peek()): never => {
    throw new FilterSyntaxError(message, expression, token.pos);
  };
  const describe = (t: Token): string =>
    t.kind === "end" ? "the end of the filter" : JSON.stringify(t.text);

  const parseOr = (): Expr => {
    let left = parseAnd();
    while (peek().kind === "or") {
      next();
      left = { type: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expr => {
    let left = parseUnary();
    while (peek().kind === "and") {
      next();
      left = { type: "and", left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Expr => {
    if (peek().kind === "not") {
      next();
      return { type: "not", expr: parseUnary() };
    }
    if (peek().kind === "(") {
      const open = next();
      const inner = parseOr();
      if (peek().kind !== ")")
        fail(`expected ")" to close the "(" at column ${open.pos + 1}, got ${describe(peek())}.`);
      next();
      return inner;
    }
    return parseComparison();
  };
  const parseValue = (field: Field, after: string): Literal => {
    const token = peek();
    const value = toLiteral(token);
    if (value === undefined)
      fail(`expected a value (a number, 'string', true or false) after ${after}, got ${describe(token)}.`);
    next();
    if (field.kind === "created" || field.kind === "updated") return toTime(value!, token, fail);
    if (field.kind === "state") return toState(value!, token, fail);
    return value!;
  };
  const parseComparison = (): Expr => {
    const token = peek();
    if (token.kind !== "field" && token.kind !== "word")
      fail(`expected a field (${FIELD_HELP}), got ${describe(token)}.`);
    next();
    const field = toField(token, fail);
    let negated = false;
    if (peek().kind === "not" && ["in", "like", "ilike"].includes(peek(1).kind)) {
      next();
      negated = true;
    }
    const op = peek();
    if (op.kind === "in") {
      next();
      if (peek().kind !== "(")
        fail(`expected "(" after ${JSON.stringify(op.text)}, e.g. IN ('a', 'b'), got ${describe(peek())}.`);
      next();
      const values: Literal[] = [parseValue(field, `"("`)];
      while (peek().kind === ",") {
        next();
        values.push(parseValue(field, `","`));
      }
      if (peek().kind !== ")") fail(`expected "," or ")" in the IN list, got ${describe(peek())}.`);
      next();
      return { type: "in", field, values, negated };
    }
    if (op.kind === "like" || op.kind === "ilike") {
      next();
      if (field.kind === "created" || field.kind === "updated")
        fail(
          `${op.text.toUpperCase()} compares text; ${token.text} is a time (use <, >, = with a date).`,
          op,
        );
      const pattern = peek();
      if (pattern.kind !== "string" && pattern.kind !== "word")
        fail(
          `expected a 'pattern' after ${op.text.toUpperCase()} (% matches any text, _ one character), got ${describe(pattern)}.`,
        );
      next();
      return { type: "like", field, pattern: pattern.text, caseInsensitive: op.kind === "ilike", negated };
    }
    if (op.kind !== "op")
      fail(
        `expected a comparison (= != < <= > >=, IN, LIKE or ILIKE) after ${JSON.stringify(token.text)}, got ${describe(op)}.`,
      );
    next();
    return { type: "cmp", field, op: op.text as Operator, value: parseValue(field, `"${op.text}"`) };
  };

  const expr = parseOr();
  if (peek().kind !== "end") fail(`expected "and", "or" or the end of the filter, got ${describe(peek())}.`);
  return expr;
}

/** The field a token names; shared with the sort parser. */
export function toField(token: Token, fail: (message: string, token?: Token) => never): Field {
  const text = token.text;
  const dot = text.indexOf(".");
  if (dot === -1) {
    const lower = text.toLowerCase();
    const kind = BARE.has(lower) ? ATTRIBUTES[lower] : undefined;
    if (kind) return { kind } as Field;
    return fail(`unknown field ${JSON.stringify(text)}: use ${FIELD_HELP}.`, token);
  }
  const head = text.slice(0, dot).toLowerCase();
  const key = text.slice(dot + 1);
  if (head === "attribute" || head === "attributes" || head === "attr") {
    const kind = ATTRIBUTES[key.toLowerCase()];
    if (!kind)
      return fail(
        `unknown attribute ${JSON.stringify(key)}: use attributes.state, run_name, experiment, run_type, created or updated.`,
        token,
      );
    return { kind } as Field;
  }
  const prefix = PREFIXES[head];
  if (!prefix) {
    return fail(
      `unknown field prefix ${JSON.stringify(text.slice(0, dot))}: use param.<key>, metric.<key>, time_series_metric.<key>, tag.<key> or attributes.<name>.`,
      token,
    );
  }
  if (key === "")
    return fail(`${JSON.stringify(text)} needs a key after the dot, e.g. ${text}accuracy.`, token);
  return { kind: prefix, key };
}

function toLiteral(token: Token): Literal | undefined {
  switch (token.kind) {
    case "number":
      return Number(token.text);
    case "string":
      return token.text;
    case "word":
    case "field": {
      const lower = token.text.toLowerCase();
      if (lower === "true") return true;
      if (lower === "false") return false;
      if (lower === "nan") return Number.NaN;
      if (lower === "inf" || lower === "infinity") return Number.POSITIVE_INFINITY;
      return token.text;
    }
    default:
      return undefined;
  }
}

/** A time literal: milliseconds since the epoch, or an ISO date (UTC unless it carries an offset). */
/**
 * A compared state: an exprun state or an MLflow status name (`FINISHED` is COMPLETE), any case. An
 * unknown name is an error: it would silently match no run.
 */
function toState(value: Literal, token: Token, fail: (message: string, token?: Token) => never): string {
  const name = String(value).toUpperCase();
  if ((RUN_STATES as readonly string[]).includes(name)) return name;
  const mapped = MLFLOW_RUN_STATES[name];
  if (mapped) return mapped;
  return fail(
    `unknown state ${JSON.stringify(String(value))}: use ${RUN_STATES.join(", ")} (or MLflow's ${Object.keys(MLFLOW_RUN_STATES).join(", ")}).`,
    token,
  );
}

function toTime(value: Literal, token: Token, fail: (message: string, token?: Token) => never): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = parseIsoTime(value);
    if (ms !== undefined) return ms;
  }
  return fail(
    `expected a time after the comparison: an ISO date such as '2024-01-31' or '2024-01-31T12:00:00Z', or milliseconds since the epoch; got ${JSON.stringify(token.text)}.`,
    token,
  );
}

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** `2024-01-31`, `2024-01-31T12:00`, `2024-01-31 12:00:00.5+02:00` → ms; a time without an offset is UTC. */
export function parseIsoTime(text: string): number | undefined {
  const match = ISO.exec(text.trim());
  if (!match) return undefined;
  let iso = text.trim().replace(" ", "T");
  if (iso.length > 10 && !match[1]) iso += "Z";
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}
