import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openMlflow, planImport, UnsupportedSourceError } from "../src/index.js";
import { type GenExperiment, writeMlruns } from "./generators/mlflow.js";
import { collect, copyFixture, fingerprint, tempDir } from "./helpers.js";

const id = (n: number) => n.toString(16).padStart(32, "0");

describe("an mlruns folder written by MLflow 2.6 (sktime's example)", () => {
  it("maps experiments, runs, names, states, tags and times; ignores artifacts; changes nothing", async () => {
    const dir = copyFixture("mlflow/sktime-mlflow-2.6/mlruns");
    const before = fingerprint(dir);
    const source = await openMlflow(dir);
    expect(source.runCount).toBe(4);
    const runs = await collect(source);
    expect(runs.map((r) => [r.experiment.name, r.experiment.sourceName, r.name, r.state])).toEqual([
      ["default", "Default", "debonair-sloth-778", "COMPLETE"],
      ["default", "Default", "merciful-grub-14", "FAILED"],
      ["test-sktime", "Test Sktime", "fortunate-gnat-508", "COMPLETE"],
      ["test-sktime", "Test Sktime", "stylish-ox-421", "COMPLETE"],
    ]);
    const gnat = runs[2]!;
    expect(gnat.sourceId).toBe("e02eb516b32c41978d260487b2328be2");
    expect(gnat.createTime).toBe(1692557296486);
    expect(gnat.updateTime).toBe(1692557296503);
    expect(gnat.tags["mlflow.user"]).toBe("afi");
    expect(gnat.tags["mlflow.runName"]).toBe("fortunate-gnat-508");
    expect(JSON.parse(gnat.tags["mlflow.log-model.history"]!)[0].run_id).toBe(gnat.sourceId);
    expect(gnat.params).toEqual({});
    expect(gnat.seriesKeys).toEqual([]);
    expect(source.report.skipped).toEqual({ artifacts: 2 });
    expect(source.report.warnings).toEqual([]);
    expect(fingerprint(dir)).toEqual(before);
  });

  it("accepts the folder above mlruns", async () => {
    const dir = copyFixture("mlflow/sktime-mlflow-2.6");
    const plan = await planImport(await openMlflow(dir));
    expect(plan.runs).toBe(4);
    expect(plan.mapping.experiments).toEqual([
      { from: "Default", sourceId: "0", to: "default", runs: 2 },
      { from: "Test Sktime", sourceId: "357821613942032106", to: "test-sktime", runs: 2 },
    ]);
  });
});

function sample(): GenExperiment[] {
  return [
    {
      id: "0",
      name: "Default",
      runs: [
        {
          id: id(1),
          name: "bright-fox-1",
          status: 3,
          start: 1_700_000_000_000,
          end: 1_700_000_100_000,
          params: {
            lr: "0.001",
            batch_size: "32",
            optimizer: "adam",
            nested: "True",
            seed: "007",
            "model/depth": "4",
          },
          tags: {
            "mlflow.user": "ana",
            "mlflow.source.git.commit": "abc123",
            "mlflow.note.content": "first try",
          },
          metrics: {
            loss: ["1700000000100 1.5 0", "1700000000200 1.2 1", "1700000000300 0.9 2"],
            "val/acc": ["1700000000150 0.5 0", "1700000000250 0.75 1"],
            legacy: ["1700000000400 3.5"], // two fields: step 0
            odd: ["1700000000500 nan 0", "1700000000600 inf 1", "1700000000700 -inf 2"],
          },
          artifacts: ["model.pkl", "plot.png"],
        },
        { id: id(2), name: "bright-fox-1", status: 4, start: 1_700_000_200_000 }, // same name: made unique
        { id: id(3), name: "sched", status: 2, start: 1_700_000_300_000, end: null },
        { id: id(4), name: "killed", status: 5, start: 1_700_000_400_000 },
        {
          id: id(5),
          name: "live",
          status: 1,
          start: 1_700_000_500_000,
          end: null,
          metrics: { m: ["1700000600000 1 5"] },
        },
        { id: id(6), name: "gone", status: 3, deleted: true, start: 1_700_000_600_000 },
      ],
    },
    { id: "7", name: "Trashed", deleted: true, runs: [{ id: id(7), name: "in-trash" }] },
  ];
}

describe("generated mlruns folders", () => {
  it("maps params (typed), tags, the note, every metric point, summaries, states and times", async () => {
    const dir = tempDir();
    writeMlruns(dir, sample());
    const before = fingerprint(dir);
    const source = await openMlflow(dir);
    const runs = await collect(source);
    expect(runs.map((r) => [r.name, r.state])).toEqual([
      ["bright-fox-1", "COMPLETE"],
      ["bright-fox-1-2", "FAILED"],
      ["sched", "NEW"],
      ["killed", "CANCELLED"],
      ["live", "RUNNING"],
    ]);
    const [fox, , sched, , live] = runs;
    expect(fox!.params).toEqual({
      lr: 0.001,
      batch_size: 32,
      optimizer: "adam",
      nested: true,
      seed: "007",
      "model/depth": 4,
    });
    expect(fox!.tags).toEqual({
      "mlflow.user": "ana",
      "mlflow.source.git.commit": "abc123",
      "mlflow.runName": "bright-fox-1",
    });
    expect(fox!.description).toBe("first try");
    expect(fox!.series.loss).toEqual({
      steps: [0, 1, 2],
      wallTimes: [1700000000100, 1700000000200, 1700000000300],
      values: [1.5, 1.2, 0.9],
    });
    expect(fox!.series["val/acc"]!.values).toEqual([0.5, 0.75]);
    expect(fox!.series.legacy).toEqual({ steps: [0], wallTimes: [1700000000400], values: [3.5] });
    expect(fox!.series.odd!.values).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(fox!.metrics).toEqual({ legacy: 3.5, loss: 0.9, odd: Number.NEGATIVE_INFINITY, "val/acc": 0.75 });
    expect(fox!.createTime).toBe(1_700_000_000_000);
    expect(fox!.updateTime).toBe(1_700_000_100_000);
    // no end time: the last metric timestamp, else the start
    expect(live!.updateTime).toBe(1700000600000);
    expect(sched!.updateTime).toBe(1_700_000_300_000);
    expect(source.report.skipped).toEqual({ artifacts: 2, deletedRuns: 1, deletedExperiments: 1 });
    expect(fingerprint(dir)).toEqual(before);
  });

  it("--include-deleted brings deleted runs and .trash experiments", async () => {
    const dir = tempDir();
    writeMlruns(dir, sample());
    const runs = await collect(await openMlflow(dir, { includeDeleted: true }));
    expect(runs.map((r) => `${r.experiment.name}/${r.name}`)).toContain("default/gone");
    expect(runs.map((r) => `${r.experiment.name}/${r.name}`)).toContain("trashed/in-trash");
  });

  it("keeps, of several points at one step, the latest timestamp (ties: the later line); summary = largest step", async () => {
    const dir = tempDir();
    writeMlruns(dir, [
      {
        id: "0",
        name: "Default",
        runs: [
          {
            id: id(1),
            name: "dups",
            metrics: {
              m: [
                "1000 1 0",
                "3000 2 1",
                "2000 3 1", // older at step 1: loses
                "4000 4 2",
                "4000 5 2", // same timestamp: the later line wins
                "500 6 0", // older at step 0: loses
                "100 7 3", // largest step, earliest time: the summary all the same
              ],
            },
          },
        ],
      },
    ]);
    const [run] = await collect(await openMlflow(dir));
    expect(run!.series.m).toEqual({
      steps: [0, 1, 2, 3],
      wallTimes: [1000, 3000, 4000, 100],
      values: [1, 2, 5, 7],
    });
    expect(run!.metrics.m).toBe(7);
  });

  it("reads MLflow 1.x (no run_name, name: '', no experiment times): runs are named by their id", async () => {
    const dir = tempDir();
    writeMlruns(dir, [{ id: "0", name: "Default", legacy: true, runs: [{ id: id(42), legacy: true }] }]);
    const [run] = await collect(await openMlflow(dir));
    expect(run!.name).toBe(id(42));
    expect(run!.sourceName).toBe(id(42));
    expect(run!.experiment.name).toBe("default");
  });

  it("reads MLflow 3.x with models/, traces/, datasets/ and registered models, which are not runs", async () => {
    const dir = tempDir();
    writeMlruns(
      dir,
      [
        {
          id: "123",
          name: "GenAI",
          loggedModels: 2,
          traces: 3,
          datasets: 1,
          tags: { "mlflow.note.content": "the experiment's note", team: "nlp" },
          runs: [{ id: id(1), name: "run-a", metrics: { acc: ["1 0.5 0"] } }],
        },
      ],
      { registeredModels: 2 },
    );
    const source = await openMlflow(dir);
    const runs = await collect(source);
    expect(runs.map((r) => r.name)).toEqual(["run-a"]);
    expect(runs[0]!.experiment).toEqual({
      name: "genai",
      sourceName: "GenAI",
      sourceId: "123",
      description: "the experiment's note",
    });
    expect(source.report.skipped).toEqual({
      loggedModels: 2,
      traces: 3,
      datasets: 1,
      registeredModels: 2,
      experimentTags: 1,
    });
  });

  it("makes experiment names valid: lowercase, [a-z0-9-], at least 4 characters, unique", async () => {
    const dir = tempDir();
    writeMlruns(dir, [
      { id: "1", name: "Test Sktime", runs: [{ id: id(1), name: "r" }] },
      { id: "2", name: "test_sktime", runs: [{ id: id(2), name: "r" }] },
      { id: "3", name: "CV", runs: [{ id: id(3), name: "r" }] },
      { id: "4", name: "Café Étude", runs: [{ id: id(4), name: "r" }] },
      { id: "5", name: "日本", runs: [{ id: id(5), name: "r" }] },
    ]);
    const plan = await planImport(await openMlflow(dir));
    expect(plan.mapping.experiments.map((e) => [e.from, e.to])).toEqual([
      ["Test Sktime", "test-sktime"],
      ["test_sktime", "test-sktime-2"],
      ["CV", "cv-exp"],
      ["Café Étude", "cafe-etude"],
      ["日本", "mlflow-5"],
    ]);
  });

  it("reports malformed metric lines, negative steps and unreadable meta.yaml with the file, and goes on", async () => {
    const dir = tempDir();
    writeMlruns(dir, [
      {
        id: "0",
        name: "Default",
        runs: [
          {
            id: id(1),
            name: "ok",
            metrics: { m: ["1 1 0", "garbage", "2 2 1 extra", "3 x 2", "4 4 -1", "5 5 3"] },
          },
          { id: id(2), name: "torn" },
        ],
      },
    ]);
    writeFileSync(path.join(dir, "0", id(2), "meta.yaml"), ""); // MLflow's non-atomic rewrite, caught mid-way
    const source = await openMlflow(dir);
    const runs = await collect(source);
    expect(runs.map((r) => r.name)).toEqual(["ok"]);
    expect(runs[0]!.series.m!.steps).toEqual([0, 3]);
    expect(source.report.skipped).toEqual({ malformedMetricLines: 3, invalidSteps: 1, unreadableRuns: 1 });
    const metricFile = path.join(dir, "0", id(1), "metrics", "m");
    expect(source.report.warnings).toEqual([
      `${path.join(dir, "0", id(2), "meta.yaml")}: empty or without run_id (MLflow may have been writing it); run skipped`,
      `${metricFile}: 3 line(s) are not "<timestamp> <value> [<step>]" (first: line 2); skipped`,
      `${metricFile}: 1 point(s) with a negative step skipped (exprun steps are non-negative integers)`,
    ]);
  });

  it("with inferParamTypes: false every param stays text", async () => {
    const dir = tempDir();
    writeMlruns(dir, [
      { id: "0", name: "Default", runs: [{ id: id(1), name: "r", params: { lr: "0.1", on: "True" } }] },
    ]);
    const [run] = await collect(await openMlflow(dir, { inferParamTypes: false }));
    expect(run!.params).toEqual({ lr: "0.1", on: "True" });
  });

  it("a folder that is not an MLflow store is an UnsupportedSourceError saying what was expected", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "something"));
    await expect(openMlflow(dir)).rejects.toThrow(UnsupportedSourceError);
    await expect(openMlflow(dir)).rejects.toThrow(/is not an MLflow store\. Expected an mlruns folder/);
    await expect(openMlflow(path.join(dir, "nope"))).rejects.toThrow(
      /does not exist\. Expected an MLflow store/,
    );
  });
});
