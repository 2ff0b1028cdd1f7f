import { type FilterRow, fieldValue } from "./evaluate.js";
import { FilterSyntaxError, tokenize } from "./lexer.js";
import type { Field } from "./parser.js";
import { parseFilter } from "./parser.js";

/** A sort key that does not parse (the CLI's UsageError). */
export class SortKeyError extends Error {}

export interface SortKey {
  field: Field;
  descending: boolean;
  text: string;
}

/** `metric.accuracy`, `metric.accuracy:desc`, `-metric.accuracy` or `metric.accuracy desc`. */
export function parseSortKey(text: string): SortKey {
  let key = text.trim();
  let descending = false;
  const suffix = /(?::|\s+)(asc|desc)$/i.exec(key);
  if (suffix) {
    descending = suffix[1]!.toLowerCase() === "desc";
    key = key.slice(0, suffix.index).trim();
  } else if (key.startsWith("-")) {
    descending = true;
    key = key.slice(1);
  }
  const tokens = tokenize(key);
  if (tokens.length !== 2 || (tokens[0]!.kind !== "field" && tokens[0]!.kind !== "word")) {
    throw new SortKeyError(
      `Bad --sort key ${JSON.stringify(text)}: use a field such as metric.accuracy, param.lr, state or run_name, optionally with :desc.`,
    );
  }
  try {
    const expr = parseFilter(`${key} = 0`);
    if (expr.type !== "cmp") throw new Error("unreachable");
    return { field: expr.field, descending, text };
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      throw new SortKeyError(
        `Bad --sort key ${JSON.stringify(text)}: ${error.message.split("\n")[0]!.replace(/^Bad filter at column \d+: /, "")}`,
      );
    }
    throw error;
  }
}

/** Orders runs by the key: numbers before strings, missing values last (in either direction). */
export function compareRows(key: SortKey, a: FilterRow, b: FilterRow): number {
  const x = fieldValue(a, key.field);
  const y = fieldValue(b, key.field);
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
  const order = rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0);
  return key.descending ? -order : order;
}

function rank(value: unknown): number {
  if (typeof value === "number") return Number.isNaN(value) ? 3 : 0;
  if (typeof value === "boolean") return 1;
  return 2;
}
