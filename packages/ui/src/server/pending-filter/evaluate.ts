import type { Value } from "@exprun/core";
import type { Expr, Field, Literal, Operator } from "./parser.js";

/** What a filter or sort key reads from one run. */
export interface FilterRow {
  experiment: string;
  run_name: string;
  run_type: string;
  state: string;
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  series?: Record<string, number>;
}

export function fieldValue(row: FilterRow, field: Field): Value | undefined {
  switch (field.kind) {
    case "param":
      return row.params[field.key];
    case "metric":
      return row.metrics[field.key];
    case "series":
      return row.series?.[field.key];
    case "state":
      return row.state;
    case "run_name":
      return row.run_name;
    case "experiment":
      return row.experiment;
    case "run_type":
      return row.run_type;
  }
}

/**
 * True when the run matches. A comparison on a value the run lacks is false (SQL's NULL rule), so
 * `param.opt != 'adam'` does not match runs without `opt`. Numbers compare with numbers, strings
 * with strings (case-sensitive, except `state`), booleans with booleans; across types only `!=` holds.
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
      let expected: Literal = expr.value;
      let value: Value = actual;
      if (expr.field.kind === "state") {
        value = String(value).toUpperCase();
        if (typeof expected === "string") expected = expected.toUpperCase();
      }
      return compare(value, expr.op, expected);
    }
  }
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
