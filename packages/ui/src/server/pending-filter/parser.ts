import { FilterSyntaxError, type Token, tokenize } from "./lexer.js";

export type Literal = number | string | boolean;
export type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** Where a compared value comes from. */
export type Field =
  | { kind: "param" | "metric" | "series"; key: string }
  | { kind: "state" | "run_name" | "experiment" | "run_type" };

export type Expr =
  | { type: "and" | "or"; left: Expr; right: Expr }
  | { type: "not"; expr: Expr }
  | { type: "cmp"; field: Field; op: Operator; value: Literal };

const PREFIXES: Record<string, "param" | "metric" | "series"> = {
  param: "param",
  params: "param",
  metric: "metric",
  metrics: "metric",
  time_series_metric: "series",
  series: "series",
};

/**
 * Parses a filter such as `metric.accuracy > 0.9 and (param.lr = 0.1 or state = COMPLETE)`.
 * `not` binds tighter than `and`, which binds tighter than `or`.
 */
export function parseFilter(expression: string): Expr {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = (): Token => tokens[i]!;
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
  const parseComparison = (): Expr => {
    const token = peek();
    if (token.kind !== "field" && token.kind !== "word") {
      fail(
        `expected a field (param.<key>, metric.<key>, time_series_metric.<key>, state, run_name), got ${describe(token)}.`,
      );
    }
    next();
    const field = toField(token, fail);
    const op = peek();
    if (op.kind !== "op")
      fail(
        `expected a comparison (= != < <= > >=) after ${JSON.stringify(token.text)}, got ${describe(op)}.`,
      );
    next();
    const valueToken = peek();
    const value = toLiteral(valueToken);
    if (value === undefined)
      fail(
        `expected a value (a number, 'string', true or false) after "${op.text}", got ${describe(valueToken)}.`,
      );
    next();
    return { type: "cmp", field, op: op.text as Operator, value: value! };
  };

  const expr = parseOr();
  if (peek().kind !== "end") {
    fail(`expected "and", "or" or the end of the filter, got ${describe(peek())}.`);
  }
  return expr;
}

function toField(token: Token, fail: (message: string, token?: Token) => never): Field {
  const text = token.text;
  const dot = text.indexOf(".");
  if (dot === -1) {
    const lower = text.toLowerCase();
    if (lower === "state") return { kind: "state" };
    if (lower === "run_name" || lower === "run") return { kind: "run_name" };
    if (lower === "experiment" || lower === "experiment_name") return { kind: "experiment" };
    if (lower === "run_type") return { kind: "run_type" };
    return fail(
      `unknown field ${JSON.stringify(text)}: use param.<key>, metric.<key>, time_series_metric.<key>, state or run_name.`,
      token,
    );
  }
  const prefix = PREFIXES[text.slice(0, dot).toLowerCase()];
  const key = text.slice(dot + 1);
  if (!prefix) {
    return fail(
      `unknown field prefix ${JSON.stringify(text.slice(0, dot))}: use param.<key>, metric.<key> or time_series_metric.<key>.`,
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
