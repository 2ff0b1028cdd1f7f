import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exprun, exprunJson, tempDir } from "./helpers/cli.js";

const RACING_DELETE = new URL("./helpers/racing-delete.mjs", import.meta.url).href;
const tmp = tempDir();
const store = `file:${path.join(tmp.dir, "store")}`;
const cli = (args: string[], input?: string) =>
  exprun(["--backend", store, ...args], input === undefined ? {} : { input });
const json = <T>(args: string[]) => exprunJson<T>(["--backend", store, ...args]);

interface RunJson {
  experiment: string;
  run: string;
  state: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

beforeAll(async () => {
  // Three runs logged from the shell, the way scripts use the CLI.
  expect((await cli(["experiments", "create", "churn", "--description", "churn model"])).code).toBe(0);
  for (const [run, lr, acc, opt] of [
    ["a", "0.1", "0.95", "adam"],
    ["b", "0.01", "0.85", "sgd"],
    ["c", "0.1", "0.75", "sgd"],
  ] as const) {
    expect((await cli(["runs", "create", run, "-e", "churn"])).code).toBe(0);
    expect(
      (
        await cli([
          "log",
          "params",
          "-r",
          `churn/${run}`,
          `lr=${lr}`,
          `optimizer=${opt}`,
          "layers=3",
          "debug=false",
        ])
      ).code,
    ).toBe(0);
    expect((await cli(["log", "metrics", "-r", run, "-e", "churn", `accuracy=${acc}`])).code).toBe(0);
  }
  expect(
    (await cli(["log", "series", "-r", "churn/a", "--step", "1", "loss=0.9", "val_loss=1.0"])).code,
  ).toBe(0);
  expect((await cli(["log", "series", "-r", "churn/a", "loss=0.5", "val_loss=0.7"])).code).toBe(0);
  expect(
    (
      await cli([
        "log",
        "series",
        "-r",
        "churn/a",
        "--step",
        "5",
        "--wall-time",
        "2024-01-02T03:04:05.678Z",
        "loss=0.2",
      ])
    ).code,
  ).toBe(0);
  expect((await cli(["runs", "end", "churn/a"])).code).toBe(0);
  expect((await cli(["runs", "state", "churn/c", "FAILED"])).code).toBe(0);
  expect((await cli(["log", "series", "-r", "churn/b", "--step", "1", "loss=0.8"])).code).toBe(0);
  expect((await cli(["log", "series", "-r", "churn/b", "--step", "5", "loss=0.4"])).code).toBe(0);
  const classification = JSON.stringify({
    run: "churn/b",
    classification: {
      displayName: "test set",
      labels: ["cat", "dog"],
      matrix: [
        [8, 2],
        [1, 9],
      ],
      fpr: [0, 0.2, 1],
      tpr: [0, 0.9, 1],
      threshold: [1, 0.5, 0],
    },
  });
  expect((await cli(["log", "--jsonl"], `${classification}\n`)).code).toBe(0);
});
// Every test reads the store beforeAll built; a test that writes uses its own experiment or a run it
// removes again, so each passes alone and in any order (a test once depended on another's param).
afterAll(() => tmp.remove());

describe("experiments", () => {
  it("lists experiments with their run counts as JSON", async () => {
    const list = await json<{ name: string; description: string; runs: number }[]>(["experiments", "list"]);
    expect(list.find((e) => e.name === "churn")).toEqual(
      expect.objectContaining({ name: "churn", description: "churn model", runs: 3 }),
    );
  });

  it("shows an experiment's runs by state and its keys", async () => {
    const shown = await json<Record<string, unknown>>(["experiments", "show", "churn"]);
    expect(shown).toMatchObject({
      name: "churn",
      runs: 3,
      runsByState: { COMPLETE: 1, RUNNING: 1, FAILED: 1 },
      paramKeys: ["lr", "optimizer", "layers", "debug"],
      metricKeys: ["accuracy"],
    });
  });

  it("refuses to create an experiment twice, with exit code 1", async () => {
    const result = await cli(["experiments", "create", "churn"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/already exists|taken/i);
  });

  it("deletes only with --yes when stdin is not a terminal", async () => {
    expect((await cli(["experiments", "create", "scratch"])).code).toBe(0);
    const refused = await cli(["experiments", "delete", "scratch"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--yes");
    expect((await cli(["experiments", "delete", "scratch", "--yes"])).code).toBe(0);
    const names = (await json<{ name: string }[]>(["experiments", "list"])).map((e) => e.name);
    expect(names).toContain("churn");
    expect(names).not.toContain("scratch");
  });
});

describe("runs list", () => {
  it("lists every run with typed params and metrics", async () => {
    const runs = await json<RunJson[]>(["runs", "list", "-e", "churn"]);
    expect(runs.map((r) => r.run)).toEqual(["a", "b", "c"]);
    expect(runs[0]).toMatchObject({
      experiment: "churn",
      state: "COMPLETE",
      params: { lr: 0.1, optimizer: "adam", layers: 3, debug: false },
      metrics: { accuracy: 0.95 },
    });
  });

  it("filters with and/or and parentheses", async () => {
    const names = async (filter: string) =>
      (await json<RunJson[]>(["runs", "list", "-e", "churn", "--filter", filter])).map((r) => r.run);
    expect(await names("metric.accuracy > 0.8 and param.lr = 0.1")).toEqual(["a"]);
    expect(await names("param.optimizer = 'sgd' or state = COMPLETE")).toEqual(["a", "b", "c"]);
    expect(await names("param.lr = 0.1 and (state = FAILED or metric.accuracy >= 0.95)")).toEqual(["a", "c"]);
    expect(await names("run_name != 'b' and param.layers = '3'")).toEqual([]);
  });

  it("sorts, limits and picks columns", async () => {
    const sorted = await json<RunJson[]>([
      "runs",
      "list",
      "-e",
      "churn",
      "--sort",
      "metric.accuracy",
      "--limit",
      "2",
    ]);
    expect(sorted.map((r) => r.run)).toEqual(["c", "b"]);
    const table = await cli([
      "runs",
      "list",
      "-e",
      "churn",
      "--columns",
      "run,param.lr,metric.accuracy",
      "--sort",
      "-metric.accuracy",
    ]);
    expect(table.code).toBe(0);
    const lines = table.stdout.split("\n");
    expect(lines[1]).toMatch(/run\s+│ param\.lr\s+│ metric\.accuracy/);
    expect(lines[3]).toMatch(/│ a\s+│\s+0\.1 │\s+0\.95 │/);
    expect(table.stdout).not.toContain("optimizer");
  });

  it("reports a bad filter with its column and exit code 1", async () => {
    const result = await cli(["runs", "list", "--filter", "metric.accuracy > and param.lr = 1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Bad filter at column 19");
    expect(result.stderr).toContain("                  ^");
  });

  it("rejects unknown columns, bad limits and unknown experiments with exit code 1", async () => {
    expect((await cli(["runs", "list", "--columns", "run,bogus"])).code).toBe(1);
    expect((await cli(["runs", "list", "--limit", "-3"])).code).toBe(1);
    const missing = await cli(["runs", "list", "-e", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Experiment "nope" was not found');
  });
});

describe("runs show", () => {
  it("summarises time series with last/min/max/steps", async () => {
    const shown = await json<{ timeSeries: Record<string, unknown>; state: string }>(["runs", "show", "a"]);
    expect(shown.state).toBe("COMPLETE");
    expect(shown.timeSeries).toEqual({
      loss: { steps: 3, firstStep: 1, lastStep: 5, last: 0.2, min: 0.2, max: 0.9 },
      val_loss: { steps: 2, firstStep: 1, lastStep: 2, last: 0.7, min: 0.7, max: 1 },
    });
  });

  it("draws the confusion matrix of classification metrics as a table", async () => {
    const text = await cli(["runs", "show", "churn/b"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("test set");
    expect(text.stdout).toMatch(/│ true \\ predicted │ cat │ dog │/);
    expect(text.stdout).toMatch(/│ cat\s+│\s+8 │\s+2 │/);
    expect(text.stdout).toMatch(/│ dog\s+│\s+1 │\s+9 │/);
    const shown = await json<{
      classificationMetrics: { areaUnderLoggedPoints?: number }[];
      artifacts: { schemaTitle: string }[];
    }>(["runs", "show", "churn/b"]);
    expect(shown.classificationMetrics).toEqual([
      expect.objectContaining({
        displayName: "test set",
        labels: ["cat", "dog"],
        matrix: [
          [8, 2],
          [1, 9],
        ],
        thresholds: [1, 0.5, 0],
      }),
    ]);
    expect(shown.artifacts.map((a) => a.schemaTitle)).toEqual(["google.ClassificationMetrics"]);
  });

  // Guards against `metric.auc 0.9879` and `ROC … AUC 0.988358` side by side with nothing saying
  // that one was logged and the other computed from the curve's points.
  it("labels the ROC area as computed from the logged points, apart from logged metrics", async () => {
    const text = await cli(["runs", "show", "churn/b"]);
    expect(text.stdout).toContain("Metrics (as logged)");
    expect(text.stdout).toContain(
      "ROC curve: 3 logged points; area under these points 0.85 (trapezoid rule, computed here; not a logged metric)",
    );
    expect(text.stdout).not.toMatch(/\bAUC\b/);
    const shown = await json<{ classificationMetrics: { areaUnderLoggedPoints?: number }[] }>([
      "runs",
      "show",
      "churn/b",
    ]);
    expect(shown.classificationMetrics[0]?.areaUnderLoggedPoints).toBeCloseTo(0.85, 12);
  });

  // Guards against a curve of one point shown with an area of 0: there is no area under it.
  it("says a ROC curve of one point has no area, and gives none in --json", async () => {
    expect((await cli(["runs", "create", "r", "-e", "roc-one-point"])).code).toBe(0);
    const line = { run: "roc-one-point/r", classification: { fpr: [0.5], tpr: [0.5], threshold: [0.5] } };
    expect((await cli(["log", "--jsonl"], `${JSON.stringify(line)}\n`)).code).toBe(0);
    const text = await cli(["runs", "show", "roc-one-point/r"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      "ROC curve: 1 logged point; no area under them (it takes two points or more, with finite rates)",
    );
    const shown = await json<{ classificationMetrics: Record<string, unknown>[] }>([
      "runs",
      "show",
      "roc-one-point/r",
    ]);
    expect(shown.classificationMetrics[0]).toMatchObject({ fpr: [0.5], tpr: [0.5] });
    expect(shown.classificationMetrics[0]).not.toHaveProperty("areaUnderLoggedPoints");
  });

  it("says which run is unknown, with exit code 1", async () => {
    const result = await cli(["runs", "show", "nope"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      '[exprun] [file] Run "nope" was not found in any experiment. List the runs with: exprun runs list\n',
    );
    const inExperiment = await cli(["runs", "show", "churn/nope"]);
    expect(inExperiment.code).toBe(1);
    expect(inExperiment.stderr).toContain('Run "nope" was not found in experiment "churn"');
  });

  it("prints the stack with --verbose", async () => {
    const result = await cli(["runs", "show", "nope", "--verbose"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^NotFoundError: \[exprun\]/);
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});

describe("runs create, state, end, delete", () => {
  it("creates, changes state, ends and deletes a run", async () => {
    expect((await json<RunJson>(["runs", "create", "tmp", "-e", "churn", "--state", "NEW"])).state).toBe(
      "NEW",
    );
    expect((await json<RunJson>(["runs", "state", "churn/tmp", "RUNNING"])).state).toBe("RUNNING");
    expect((await json<RunJson>(["runs", "end", "churn/tmp", "--state", "CANCELLED"])).state).toBe(
      "CANCELLED",
    );
    expect((await cli(["runs", "delete", "churn/tmp"])).code).toBe(1);
    expect((await cli(["runs", "delete", "churn/tmp", "--yes"])).code).toBe(0);
    expect((await cli(["runs", "show", "churn/tmp"])).code).toBe(1);
  });

  // Guards against deleting, by name, a run another process deleted and created again after the
  // command looked it up (and asked for confirmation): the new run is not the one confirmed.
  it("deletes the run it looked up, not one created again under its name meanwhile", async () => {
    const root = path.join(tmp.dir, "racing");
    const racing = (args: string[]) =>
      exprun(["--backend", `racing:${root}`, ...args], { nodeArgs: ["--import", RACING_DELETE] });
    expect((await racing(["experiments", "create", "race"])).code).toBe(0);
    expect((await racing(["runs", "create", "twice", "-e", "race"])).code).toBe(0);
    const deleted = await racing(["runs", "delete", "race/twice", "--yes"]);
    expect(deleted.code, deleted.stderr).toBe(1);
    expect(deleted.stderr).toContain('Run "twice" was not found in experiment "race"');
    const again = await exprunJson<RunJson>([
      "--backend",
      `file:${root}`,
      "runs",
      "show",
      "race/twice",
      "--json",
    ]);
    expect(again.state).toBe("RUNNING");
  });

  it("rejects an unknown state and an invalid run name with exit code 1", async () => {
    const state = await cli(["runs", "state", "churn/a", "DONE"]);
    expect(state.code).toBe(1);
    expect(state.stderr).toContain("Unknown state");
    const name = await cli(["runs", "create", "Bad_Name", "-e", "churn"]);
    expect(name.code).toBe(1);
    expect(name.stderr).toContain("Invalid run name");
  });
});

describe("log", () => {
  it("logs JSON lines from stdin, creating runs with --create", async () => {
    const lines = [
      { run: "piped", experiment: "jsonl", params: { lr: 0.3, note: "from python" } },
      { run: "piped", experiment: "jsonl", series: { loss: 0.5 }, step: 3, wall_time: 1_700_000_000_000 },
      { run: "piped", experiment: "jsonl", series: { loss: { $float: "NaN" } } },
      {},
      { run: "piped", experiment: "jsonl", metrics: { acc: 0.9 }, state: "COMPLETE" },
    ].map((l) => (Object.keys(l).length ? JSON.stringify(l) : ""));
    const result = await exprun(["--backend", store, "log", "--jsonl", "--create", "--json"], {
      input: `${lines.join("\n")}\n`,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ lines: 4, runs: ["jsonl/piped"] });
    const shown = await json<RunJson & { timeSeries: Record<string, { steps: number; lastStep: number }> }>([
      "runs",
      "show",
      "jsonl/piped",
    ]);
    expect(shown).toMatchObject({
      state: "COMPLETE",
      params: { lr: 0.3, note: "from python" },
      metrics: { acc: 0.9 },
    });
    expect(shown.timeSeries.loss).toMatchObject({ steps: 2, lastStep: 4 });
  });

  it("stops at the first bad line and names it", async () => {
    expect((await cli(["runs", "create", "bad-lines", "-e", "lines"])).code).toBe(0);
    const input = `${JSON.stringify({ run: "lines/bad-lines", params: { x: 1 } })}\n{not json\n${JSON.stringify({ run: "lines/bad-lines", params: { y: 2 } })}\n`;
    const result = await cli(["log", "--jsonl"], input);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/stdin line 2: not JSON/);
    expect(result.stderr).toContain("The 1 line(s) before it were logged");
    const logged = await json<RunJson>(["runs", "show", "lines/bad-lines"]);
    expect(logged.params).toEqual({ x: 1 });
  });

  it("refuses __proto__=… instead of dropping it and reporting fewer params than given", async () => {
    // `out["__proto__"] = v` set the prototype: "Logged 1 params" for 2 given, exit 0.
    expect((await cli(["runs", "create", "p", "-e", "protos"])).code).toBe(0);
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const result = await cli(["log", "params", "-r", "protos/p", `${key}=1`, "b=2"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`The key "${key}" is not allowed in params`);
    }
    expect((await cli(["log", "metrics", "-r", "protos/p", "__proto__=1"])).code).toBe(1);
    const series = await cli(["log", "series", "-r", "protos/p", "__proto__=1", "x=2"]);
    expect(series.code).toBe(1);
    expect(series.stderr).toContain('The key "__proto__" is not allowed');
    // Nothing half-written: every key is checked before anything is written.
    const shown = await json<RunJson>(["runs", "show", "protos/p"]);
    expect(shown.params).toEqual({});
    expect(shown.metrics).toEqual({});
  });

  it("needs --create for a missing run and key=value pairs", async () => {
    const missing = await cli(["log", "params", "-r", "churn/ghost", "a=1"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Pass --create");
    const bad = await cli(["log", "metrics", "-r", "churn/a", "accuracy"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Expected key=value");
    const series = await cli(["log", "series", "-r", "churn/a", "loss=high"]);
    expect(series.code).toBe(1);
  });
});

describe("compare and plot", () => {
  it("marks the rows that differ", async () => {
    const compared = await json<{
      runs: string[];
      rows: { key: string; values: unknown[]; differs: boolean }[];
    }>(["compare", "churn/a", "churn/c"]);
    expect(compared.runs).toEqual(["churn/a", "churn/c"]);
    const row = (key: string) => compared.rows.find((r) => r.key === key);
    expect(row("param.lr")).toEqual({ key: "param.lr", values: [0.1, 0.1], differs: false });
    expect(row("param.optimizer")).toEqual({
      key: "param.optimizer",
      values: ["adam", "sgd"],
      differs: true,
    });
    expect(row("time_series_metric.loss")).toEqual({
      key: "time_series_metric.loss",
      values: [0.2, null],
      differs: true,
    });
    const text = await cli(["compare", "churn/a", "churn/c", "--diff"]);
    expect(text.stdout).toMatch(/│ ≠ │ param\.optimizer/);
    expect(text.stdout).not.toContain("param.lr");
  });

  it("needs two runs to compare", async () => {
    expect((await cli(["compare", "churn/a"])).code).toBe(1);
  });

  it("plots several runs in one chart and gives the points as JSON", async () => {
    const points = await json<{ metric: string; runs: { run: string; points: unknown[] }[] }[]>([
      "plot",
      "churn/a",
      "churn/b",
      "-m",
      "loss",
    ]);
    expect(points).toEqual([
      {
        metric: "loss",
        runs: [
          {
            run: "churn/a",
            points: [
              { step: 1, value: 0.9 },
              { step: 2, value: 0.5 },
              { step: 5, value: 0.2 },
            ],
          },
          {
            run: "churn/b",
            points: [
              { step: 1, value: 0.8 },
              { step: 5, value: 0.4 },
            ],
          },
        ],
      },
    ]);
    const chart = await cli(["plot", "churn/a", "churn/b", "-m", "loss", "--width", "30", "--height", "6"]);
    expect(chart.code).toBe(0);
    expect(chart.stdout).toContain("* a   + b");
    expect(chart.stdout).toMatch(/┤|┼/);
    expect(chart.stdout).not.toContain("\u001b[");
  });
});

describe("export", () => {
  it("writes the experiment DataFrame as CSV with Python's column names and value formats", async () => {
    const result = await cli(["export", "-e", "churn"]);
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split("\n");
    expect(header).toBe(
      "experiment_name,run_name,run_type,state,param.lr,param.optimizer,param.layers,param.debug,metric.accuracy,time_series_metric.loss,time_series_metric.val_loss",
    );
    expect(rows[0]).toBe("churn,a,system.ExperimentRun,COMPLETE,0.1,adam,3.0,False,0.95,0.2,0.7");
    expect(rows[1]).toBe("churn,b,system.ExperimentRun,RUNNING,0.01,sgd,3.0,False,0.85,0.4,");
  });

  it("writes JSON, JSON lines and time series to a file", async () => {
    const out = path.join(tmp.dir, "series.jsonl");
    const result = await cli(["export", "-e", "churn", "--time-series", "--format", "jsonl", "--out", out]);
    expect(result.code).toBe(0);
    const rows = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows[0]).toEqual({
      experiment_name: "churn",
      run_name: "a",
      step: 1,
      wall_time: expect.any(String),
      loss: 0.9,
      val_loss: 1,
    });
    expect(rows.find((r) => r.step === 5 && r.run_name === "a")).toMatchObject({
      wall_time: "2024-01-02T03:04:05.678Z",
      loss: 0.2,
      val_loss: null,
    });
    const csv = await cli(["export", "-e", "churn", "--time-series"]);
    expect(csv.stdout).toContain("churn,a,5,2024-01-02 03:04:05.678000+00:00,0.2,\n");
    const asJson = JSON.parse((await cli(["export", "-e", "churn", "--format", "json"])).stdout);
    expect(asJson).toHaveLength(3);
    expect(asJson[2]).toMatchObject({ run_name: "c", "time_series_metric.loss": null, state: "FAILED" });
  });

  it("rejects an unknown format", async () => {
    expect((await cli(["export", "--format", "xml"])).code).toBe(1);
  });
});
