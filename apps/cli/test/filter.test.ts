import { describe, expect, it } from "vitest";
import { compareRows } from "../src/filter/index.js";
import { evaluate, type FilterRow, FilterSyntaxError, parseFilter, parseSortKey } from "../src/index.js";

const row = (over: Partial<FilterRow> = {}): FilterRow => ({
  experiment: "exp",
  run_name: "run-1",
  run_type: "system.ExperimentRun",
  state: "COMPLETE",
  params: { lr: 0.1, optimizer: "adam", layers: 4, version: "0.1", shuffle: true },
  metrics: { accuracy: 0.93, loss: 0.2 },
  series: { val_loss: 0.25 },
  ...over,
});

const matches = (expression: string, r: FilterRow = row()) => evaluate(parseFilter(expression), r);

describe("filter parser", () => {
  it("compares numbers numerically with every operator", () => {
    expect(matches("metric.accuracy > 0.9")).toBe(true);
    expect(matches("metric.accuracy >= 0.93")).toBe(true);
    expect(matches("metric.accuracy < 0.93")).toBe(false);
    expect(matches("metric.accuracy <= 0.93")).toBe(true);
    expect(matches("param.lr = 0.1")).toBe(true);
    expect(matches("param.lr == 1e-1")).toBe(true);
    expect(matches("param.lr != 0.1")).toBe(false);
    expect(matches("param.layers > 3")).toBe(true);
  });

  it("keeps numbers and strings apart: a number literal never equals a string value", () => {
    expect(matches("param.version = 0.1")).toBe(false);
    expect(matches("param.version = '0.1'")).toBe(true);
    expect(matches("param.lr = '0.1'")).toBe(false);
    expect(matches("param.version != 0.1")).toBe(true);
    expect(matches("param.version > 0")).toBe(false);
  });

  it("compares strings, bare words and booleans", () => {
    expect(matches("param.optimizer = 'adam'")).toBe(true);
    expect(matches('param.optimizer = "sgd"')).toBe(false);
    expect(matches("param.optimizer = adam")).toBe(true);
    expect(matches("param.shuffle = true")).toBe(true);
    expect(matches("param.shuffle = false")).toBe(false);
  });

  it("matches state case-insensitively and run_name exactly", () => {
    expect(matches("state = COMPLETE")).toBe(true);
    expect(matches("state = complete")).toBe(true);
    expect(matches("state != 'FAILED'")).toBe(true);
    expect(matches("run_name = 'run-1'")).toBe(true);
    expect(matches("run_name = 'RUN-1'")).toBe(false);
  });

  it("joins with and/or, and binds tighter than or, parentheses group", () => {
    expect(matches("metric.accuracy > 0.9 and param.lr = 0.1")).toBe(true);
    expect(matches("metric.accuracy > 0.99 and param.lr = 0.1")).toBe(false);
    expect(matches("metric.accuracy > 0.99 or param.lr = 0.1")).toBe(true);
    // false and false or true → (false and false) or true → true
    expect(matches("param.lr = 1 and param.lr = 2 or state = COMPLETE")).toBe(true);
    // false and (false or true) → false
    expect(matches("param.lr = 1 and (param.lr = 2 or state = COMPLETE)")).toBe(false);
    expect(matches("not (state = FAILED) && metric.loss < 0.5 || param.lr = 9")).toBe(true);
    expect(matches("metric.loss = 1 OR metric.loss < 1")).toBe(true);
  });

  it("treats a missing field as not matching, even with !=", () => {
    expect(matches("param.dropout != 0.5")).toBe(false);
    expect(matches("param.dropout = 0.5")).toBe(false);
    expect(matches("not param.dropout = 0.5")).toBe(true);
  });

  it("reads time_series_metric fields and backtick-quoted keys", () => {
    expect(matches("time_series_metric.val_loss < 0.3")).toBe(true);
    expect(matches("metric.`val loss` < 1", row({ metrics: { "val loss": 0.5 } }))).toBe(true);
  });

  it("accepts negative numbers, exponents and NaN", () => {
    expect(matches("metric.loss > -1")).toBe(true);
    expect(matches("metric.loss < 2.5e-1")).toBe(true);
    expect(matches("metric.loss = nan", row({ metrics: { loss: Number.NaN } }))).toBe(true);
  });

  it.each([
    ["metric.accuracy >", 17, "expected a value"],
    ["metric.accuracy 0.9", 16, "expected a comparison"],
    ["(metric.accuracy > 0.9", 22, 'expected ")"'],
    ["metric.accuracy > 0.9 and", 25, "expected a field"],
    ["metric.accuracy > 0.9 param.lr = 1", 22, 'expected "and", "or"'],
    ["foo.bar = 1", 0, "unknown field prefix"],
    ["speed = 1", 0, "unknown field"],
    ["param.x = 'open", 10, "unterminated"],
    ["param.x = 1 # comment", 12, "unexpected character"],
  ])("rejects %j with an error at column %i", (expression, position, message) => {
    let error: unknown;
    try {
      parseFilter(expression);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const syntax = error as FilterSyntaxError;
    expect(syntax.position).toBe(position);
    expect(syntax.message).toContain(message);
    expect(syntax.message).toContain(`column ${position + 1}`);
    expect(syntax.message.split("\n")[2]).toBe(`  ${" ".repeat(position)}^`);
  });
});

describe("sort keys", () => {
  it("parses :desc, a leading minus and a trailing desc", () => {
    expect(parseSortKey("metric.accuracy").descending).toBe(false);
    expect(parseSortKey("metric.accuracy:desc").descending).toBe(true);
    expect(parseSortKey("-metric.accuracy").descending).toBe(true);
    expect(parseSortKey("metric.accuracy desc").descending).toBe(true);
  });

  it("orders numbers, then missing values last in both directions", () => {
    const rows = [
      row({ run_name: "a", metrics: { acc: 0.5 } }),
      row({ run_name: "b", metrics: {} }),
      row({ run_name: "c", metrics: { acc: 0.9 } }),
    ];
    const asc = parseSortKey("metric.acc");
    const desc = parseSortKey("metric.acc:desc");
    expect([...rows].sort((x, y) => compareRows(asc, x, y)).map((r) => r.run_name)).toEqual(["a", "c", "b"]);
    expect([...rows].sort((x, y) => compareRows(desc, x, y)).map((r) => r.run_name)).toEqual(["c", "a", "b"]);
  });

  it("rejects a key that is not a field", () => {
    expect(() => parseSortKey("metric.acc > 1")).toThrow(/Bad --sort key/);
    expect(() => parseSortKey("bogus")).toThrow(/unknown field/);
  });
});
