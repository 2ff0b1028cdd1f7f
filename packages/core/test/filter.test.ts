import { describe, expect, it } from "vitest";
import {
  checkSortKeys,
  compareRows,
  evaluate,
  type FilterRow,
  FilterSyntaxError,
  isExprunError,
  parseFilter,
  parseSort,
  ValidationError,
} from "../src/index.js";

const JAN_2024 = Date.UTC(2024, 0, 15, 12, 0, 0);

const row = (over: Partial<FilterRow> = {}): FilterRow => ({
  experiment: "exp",
  name: "run-1",
  runType: "system.ExperimentRun",
  state: "COMPLETE",
  createTime: JAN_2024,
  updateTime: JAN_2024 + 3_600_000,
  params: { lr: 0.1, optimizer: "adam", layers: 4, version: "0.1", shuffle: true, model: "mlp-h16" },
  metrics: { accuracy: 0.93, loss: 0.2 },
  latestTimeSeries: { val_loss: { value: 0.25 } },
  tags: { team: "vision", "mlflow.source": "train.py" },
  ...over,
});

const matches = (expression: string, r: FilterRow = row()) => evaluate(parseFilter(expression), r);

function syntaxError(run: () => unknown): FilterSyntaxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FilterSyntaxError);
    return error as FilterSyntaxError;
  }
  throw new Error("expected a FilterSyntaxError");
}

describe("filter comparisons", () => {
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

  // Guards against MLflow's status names (and typos) silently matching no run.
  it("reads MLflow's status names as the states they are and refuses an unknown state", () => {
    expect(matches("attributes.status = 'FINISHED'")).toBe(true);
    expect(matches("attributes.status = finished")).toBe(true);
    expect(matches("attributes.status IN ('KILLED', 'FINISHED')")).toBe(true);
    expect(matches("state = 'KILLED'", row({ state: "CANCELLED" }))).toBe(true);
    expect(matches("state = SCHEDULED", row({ state: "NEW" }))).toBe(true);
    expect(matches("state != FINISHED")).toBe(false);
    const error = syntaxError(() => parseFilter("metric.loss < 1 and state = 'DONE'"));
    expect(error.position).toBe(28);
    expect(error.message).toContain('unknown state "DONE": use NEW, RUNNING, COMPLETE');
    expect(error.message).toContain("FINISHED");
    expect(syntaxError(() => parseFilter("state IN (COMPLETE, finishd)")).position).toBe(20);
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
    expect(matches("param.lr = 1 and param.lr = 2 or state = COMPLETE")).toBe(true);
    expect(matches("param.lr = 1 and (param.lr = 2 or state = COMPLETE)")).toBe(false);
    expect(matches("not (state = FAILED) && metric.loss < 0.5 || param.lr = 9")).toBe(true);
    expect(matches("metric.loss = 1 OR metric.loss < 1")).toBe(true);
  });

  it("treats a missing field as not matching, even with !=", () => {
    expect(matches("param.dropout != 0.5")).toBe(false);
    expect(matches("param.dropout = 0.5")).toBe(false);
    expect(matches("not param.dropout = 0.5")).toBe(true);
  });

  it("never reads inherited keys such as constructor or __proto__", () => {
    expect(matches("param.constructor != 'x'")).toBe(false);
    expect(matches("metric.toString != 1")).toBe(false);
    expect(matches("tag.__proto__ != 'x'")).toBe(false);
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
});

describe("what MLflow users type: IN, LIKE, ILIKE, attributes, times and tags", () => {
  it("IN and NOT IN take a list of values of any type", () => {
    expect(matches("param.optimizer IN ('adam', 'sgd')")).toBe(true);
    expect(matches("param.optimizer in ('sgd')")).toBe(false);
    expect(matches("param.lr IN (0.01, 0.1)")).toBe(true);
    expect(matches("param.optimizer NOT IN ('sgd', 'rmsprop')")).toBe(true);
    expect(matches("param.optimizer not in ('adam')")).toBe(false);
    expect(matches("state IN (failed, complete)")).toBe(true);
    // SQL's NULL rule: a run without the field matches neither IN nor NOT IN.
    expect(matches("param.dropout NOT IN (0.5)")).toBe(false);
  });

  it("LIKE matches % and _ case-sensitively, ILIKE ignoring case, whole values only", () => {
    expect(matches("param.model LIKE 'mlp%'")).toBe(true);
    expect(matches("param.model LIKE 'MLP%'")).toBe(false);
    expect(matches("param.model ILIKE 'MLP%'")).toBe(true);
    expect(matches("param.model LIKE '%h1_'")).toBe(true);
    expect(matches("param.model LIKE 'mlp'")).toBe(false);
    expect(matches("param.model NOT LIKE 'logreg%'")).toBe(true);
    expect(matches("run_name like 'run-%'")).toBe(true);
    expect(matches("param.model LIKE 'mlp.h16'")).toBe(false); // "." is not a wildcard
    expect(matches("param.rate LIKE '100\\%'", row({ params: { rate: "100%" } }))).toBe(true);
    expect(matches("param.rate LIKE '100\\%'", row({ params: { rate: "1000" } }))).toBe(false);
    // Numbers are not text: LIKE never matches them.
    expect(matches("param.lr LIKE '0.%'")).toBe(false);
  });

  it("attributes.* names the run's attributes as MLflow does", () => {
    expect(matches("attributes.status = 'COMPLETE'")).toBe(true);
    expect(matches("attributes.run_name = 'run-1'")).toBe(true);
    expect(matches("attributes.experiment = exp")).toBe(true);
    expect(matches("attributes.run_type LIKE 'system.%'")).toBe(true);
    expect(matches(`attributes.start_time = ${JAN_2024}`)).toBe(true);
  });

  it("compares created and updated with ISO dates (UTC unless an offset is given) or milliseconds", () => {
    expect(matches("created > '2024-01-01'")).toBe(true);
    expect(matches("created > 2024-01-16")).toBe(false);
    expect(matches("created >= '2024-01-15T12:00:00Z'")).toBe(true);
    expect(matches("created >= '2024-01-15T12:00:01'")).toBe(false);
    expect(matches("created < '2024-01-15T13:00:00+02:00'")).toBe(false);
    expect(matches(`created = ${JAN_2024}`)).toBe(true);
    expect(matches("updated > '2024-01-15 12:30'")).toBe(true);
    expect(matches("attributes.update_time < '2024-01-15T12:30:00Z'")).toBe(false);
  });

  it("reads tags.<key> and tag.<key> from the record's tags", () => {
    expect(matches("tags.team = 'vision'")).toBe(true);
    expect(matches("tag.team != 'vision'")).toBe(false);
    expect(matches("tags.`mlflow.source` LIKE '%.py'")).toBe(true);
    expect(matches("tags.owner = 'x'")).toBe(false);
    const { tags: _none, ...untagged } = row();
    expect(matches("tags.team = 'vision'", untagged)).toBe(false);
  });
});

describe("filter errors point at the column", () => {
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
    ["param.x IN 'a'", 11, 'expected "("'],
    ["param.x IN ('a' 'b')", 16, 'expected "," or ")"'],
    ["param.x IN ()", 12, "expected a value"],
    ["param.x LIKE (", 13, "expected a 'pattern'"],
    ["created > 'last week'", 10, "expected a time"],
    ["created LIKE '2024%'", 8, "LIKE compares text"],
    ["attributes.owner = 'me'", 0, "unknown attribute"],
  ])("rejects %j with an error at column %i", (expression, position, message) => {
    const error = syntaxError(() => parseFilter(expression));
    expect(error.position).toBe(position);
    expect(error.message).toContain(message);
    expect(error.message).toContain(`Bad filter at column ${position + 1}`);
    expect(error.message.split("\n")[2]).toBe(`  ${" ".repeat(position)}^`);
  });

  it("is a ValidationError with code VALIDATION, so every face reports it as bad input", () => {
    const error = syntaxError(() => parseFilter("metric.x >"));
    expect(error).toBeInstanceOf(ValidationError);
    expect(isExprunError(error, "VALIDATION")).toBe(true);
    expect(error.message).toMatch(/^\[exprun\] Bad filter at column 11/);
  });
});

describe("sort keys", () => {
  it("parses :desc, a leading minus, a trailing desc, and several keys", () => {
    expect(parseSort("metric.accuracy")[0]!.descending).toBe(false);
    expect(parseSort("metric.accuracy:desc")[0]!.descending).toBe(true);
    expect(parseSort("-metric.accuracy")[0]!.descending).toBe(true);
    expect(parseSort("metric.accuracy desc")[0]!.descending).toBe(true);
    const keys = parseSort("param.model, -metric.acc");
    expect(keys.map((k) => [k.field, k.descending])).toEqual([
      [{ kind: "param", key: "model" }, false],
      [{ kind: "metric", key: "acc" }, true],
    ]);
    expect(parseSort(["state", "created:desc"]).map((k) => k.field.kind)).toEqual(["state", "created"]);
    expect(parseSort("metric.`a,b`")[0]!.field).toEqual({ kind: "metric", key: "a,b" });
  });

  it("orders numbers, then missing values last in both directions", () => {
    const rows = [
      row({ name: "a", metrics: { acc: 0.5 } }),
      row({ name: "b", metrics: {} }),
      row({ name: "c", metrics: { acc: 0.9 } }),
    ];
    const order = (spec: string) =>
      [...rows].sort((x, y) => compareRows(parseSort(spec), x, y)).map((r) => r.name);
    expect(order("metric.acc")).toEqual(["a", "c", "b"]);
    expect(order("metric.acc:desc")).toEqual(["c", "a", "b"]);
  });

  it("breaks ties with the next key", () => {
    const rows = [
      row({ name: "a", params: { model: "mlp" }, metrics: { acc: 0.5 } }),
      row({ name: "b", params: { model: "logreg" }, metrics: { acc: 0.7 } }),
      row({ name: "c", params: { model: "mlp" }, metrics: { acc: 0.9 } }),
    ];
    const keys = parseSort("param.model,-metric.acc");
    expect([...rows].sort((x, y) => compareRows(keys, x, y)).map((r) => r.name)).toEqual(["b", "c", "a"]);
  });

  it.each([
    ["metric.acc > 1", 11, 'expected "," or the end'],
    ["bogus", 0, "unknown field"],
    ["param.lr,,state", 9, "empty sort key"],
    ["state, -foo.bar", 8, "unknown field prefix"],
    ["'x'", 0, "expected a field"],
  ])("rejects %j with a Bad sort error at column %i", (spec, position, message) => {
    const error = syntaxError(() => parseSort(spec));
    expect(error.message).toContain(`Bad sort at column ${position + 1}: `);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain("filter");
    expect(error.message.split("\n")[2]).toBe(`  ${" ".repeat(position)}^`);
  });

  it("rejects a sort key no run has, naming the keys that exist", () => {
    const rows = [row(), row({ name: "b" })];
    expect(() => checkSortKeys(parseSort("state,-metric.acuracy"), rows)).toThrow(
      /Bad sort at column 7: no run has metric\.acuracy.*Known: metric\.accuracy, metric\.loss/,
    );
    expect(() => checkSortKeys(parseSort("tag.team,param.lr,created"), rows)).not.toThrow();
    expect(() => checkSortKeys(parseSort("metric.anything"), [])).not.toThrow();
  });
});
