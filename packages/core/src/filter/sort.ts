import { type FilterRow, fieldValue } from "./evaluate.js";
import { FilterSyntaxError, type Token, tokenize } from "./lexer.js";
import { type Field, toField } from "./parser.js";

export interface SortKey {
  field: Field;
  descending: boolean;
  /** The key as written, e.g. `-metric.accuracy`. */
  text: string;
  /** The whole sort text the key came from, and the key's 0-based position in it (for errors). */
  source: string;
  position: number;
}

/**
 * Parses sort keys: one text with keys separated by commas (`param.model,-metric.acc`), or several
 * texts (a repeated `--sort` flag), in priority order. A key is a filter field, reversed by a leading
 * `-`, a `:desc` suffix or a trailing ` desc`. Errors are {@link FilterSyntaxError}s saying
 * `Bad sort at column N`.
 */
export function parseSort(spec: string | readonly string[]): SortKey[] {
  const texts = typeof spec === "string" ? [spec] : spec;
  const keys: SortKey[] = [];
  for (const source of texts) {
    for (const { text, start } of splitKeys(source)) keys.push(parseKey(source, text, start));
  }
  return keys;
}

function parseKey(source: string, raw: string, start: number): SortKey {
  const fail = (message: string, at: number): never => {
    throw new FilterSyntaxError(message, source, at, "sort");
  };
  const lead = raw.length - raw.trimStart().length;
  let key = raw.trim();
  let offset = start + lead;
  if (key === "")
    fail("empty sort key: write a field such as metric.accuracy, or -metric.accuracy to reverse.", offset);
  let descending = false;
  const suffix = /(?::|\s+)(asc|desc)$/i.exec(key);
  if (suffix) {
    descending = suffix[1]!.toLowerCase() === "desc";
    key = key.slice(0, suffix.index).trimEnd();
  } else if (key.startsWith("-") || key.startsWith("+")) {
    descending = key.startsWith("-");
    key = key.slice(1);
    offset++;
  }
  const tokens = tokenize(key, { what: "sort", offset, source });
  const first = tokens[0]!;
  if (first.kind !== "field" && first.kind !== "word") {
    fail(
      `expected a field (param.<key>, metric.<key>, state, run_name, created, …), got ${describeToken(first)}.`,
      first.pos,
    );
  }
  if (tokens.length !== 2) {
    fail(
      `expected "," or the end after the field ${JSON.stringify(first.text)}, got ${describeToken(tokens[1]!)}; a sort key is one field, optionally reversed with - or :desc.`,
      tokens[1]!.pos,
    );
  }
  const field = toField(first, (message, token) => fail(message, (token ?? first).pos));
  return { field, descending, text: raw.trim(), source, position: start + lead };
}

function describeToken(t: Token): string {
  return t.kind === "end" ? "the end of the key" : JSON.stringify(t.text);
}

/** Splits at commas outside quotes and backticks, keeping each piece's offset. */
function splitKeys(source: string): { text: string; start: number }[] {
  const pieces: { text: string; start: number }[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === ",") {
      pieces.push({ text: source.slice(start, i), start });
      start = i + 1;
    }
  }
  pieces.push({ text: source.slice(start), start });
  return pieces;
}

/**
 * Rejects a key whose param, metric, time series or tag no run has (a typo would otherwise sort
 * nothing, silently). Attributes (state, created, …) are always known. Nothing is checked when
 * there are no runs.
 */
export function checkSortKeys(keys: readonly SortKey[], rows: readonly FilterRow[]): void {
  const check = sortKeyCheck(keys);
  for (const row of rows) check.see(row);
  check.done();
}

/**
 * {@link checkSortKeys} over runs that stream past (a runs table scanning an experiment page by page):
 * `see` each run, then `done()` throws as `checkSortKeys` would. It holds the names of the keys runs
 * have, and only while some sort key is still unseen.
 */
export function sortKeyCheck(keys: readonly SortKey[]): { see(row: FilterRow): void; done(): void } {
  const unseen: { key: SortKey; kind: KeyedKind; name: string }[] = [];
  for (const key of keys) {
    if ("key" in key.field) unseen.push({ key, kind: key.field.kind, name: key.field.key });
  }
  // The key names runs have, for the kinds of the keys still unseen (for the error's "Known:" list).
  const known = new Map<KeyedKind, Set<string>>();
  let rows = 0;
  return {
    see(row) {
      rows++;
      if (unseen.length === 0) return;
      for (let i = unseen.length - 1; i >= 0; i--) {
        if (fieldValue(row, unseen[i]!.key.field) !== undefined) unseen.splice(i, 1);
      }
      for (const kind of new Set(unseen.map((u) => u.kind))) {
        const names = known.get(kind) ?? new Set<string>();
        known.set(kind, names);
        for (const k of Object.keys(recordOf(row, kind) ?? {})) names.add(k);
      }
    },
    done() {
      const first = unseen[0];
      if (rows === 0 || !first) return;
      const { key, kind, name } = first;
      const names = [...(known.get(kind) ?? [])].sort();
      const prefix = PREFIX[kind];
      throw new FilterSyntaxError(
        `no run has ${prefix}${name}, so it cannot order them. ${
          names.length
            ? `Known: ${names
                .slice(0, 8)
                .map((k) => prefix + k)
                .join(", ")}${names.length > 8 ? `, … (${names.length} in all)` : ""}.`
            : `No run has any ${prefix}* value.`
        }`,
        key.source,
        key.position,
        "sort",
      );
    },
  };
}

const PREFIX = { param: "param.", metric: "metric.", series: "time_series_metric.", tag: "tag." } as const;
type KeyedKind = keyof typeof PREFIX;

function recordOf(row: FilterRow, kind: KeyedKind): object | undefined {
  return kind === "param"
    ? row.params
    : kind === "metric"
      ? row.metrics
      : kind === "tag"
        ? row.tags
        : row.latestTimeSeries;
}

/**
 * Orders two runs by the keys in turn: within a key numbers come before booleans, then strings,
 * NaN after every other value; runs without the value come last in either direction.
 */
export function compareRows(keys: SortKey | readonly SortKey[], a: FilterRow, b: FilterRow): number {
  for (const key of Array.isArray(keys) ? keys : [keys as SortKey]) {
    const x = fieldValue(a, key.field);
    const y = fieldValue(b, key.field);
    if (x === undefined || y === undefined) {
      if (x === y) continue;
      return x === undefined ? 1 : -1;
    }
    const order = rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0);
    if (order !== 0) return key.descending ? -order : order;
  }
  return 0;
}

function rank(value: unknown): number {
  if (typeof value === "number") return Number.isNaN(value) ? 3 : 0;
  if (typeof value === "boolean") return 1;
  return 2;
}
