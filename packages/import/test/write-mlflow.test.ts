import { appendFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importInto, openMlflow } from "../src/index.js";
import { type GenExperiment, writeMlflowDb, writeMlruns } from "./generators/mlflow.js";
import { copyFixture, fingerprint, tempDir } from "./helpers.js";
import { find, STORES, storedRuns } from "./stores.js";

const id = (n: number) => n.toString(16).padStart(32, "0");
const T0 = 1_700_000_000_000;

function sample(): GenExperiment[] {
  return [
    {
      id: "0",
      name: "Default",
      tags: { "mlflow.note.content": "the default experiment" },
      runs: [
        {
          id: id(1),
          name: "bright-fox-1",
          status: 3,
          start: T0,
          end: T0 + 100_000,
          params: { lr: "0.001", batch_size: "32", optimizer: "adam", "model/depth": "4" },
          tags: {
            "mlflow.user": "ana",
            "mlflow.source.git.commit": "abc123",
            "mlflow.note.content": "first try",
          },
          metrics: {
            loss: [`${T0 + 100} 1.5 0`, `${T0 + 200} 1.2 1`, `${T0 + 300} 0.9 2`, `${T0 + 250} 7 1`],
            "val/acc": [`${T0 + 150} 0.5 0`, `${T0 + 250} 0.75 1`],
            odd: [`${T0 + 500} nan 0`, `${T0 + 600} inf 1`, `${T0 + 700} -inf 2`],
          },
        },
        { id: id(2), name: "bright-fox-1", status: 4, start: T0 + 200_000, end: T0 + 210_000 },
        { id: id(3), name: "sched", status: 2, start: T0 + 300_000, end: null },
        { id: id(4), name: "killed", status: 5, start: T0 + 400_000, end: T0 + 401_000 },
      ],
    },
    {
      id: "5",
      name: "Test Sktime",
      runs: [
        {
          id: id(5),
          name: "live",
          status: 1,
          start: T0 + 500_000,
          end: null,
          metrics: { m: [`${T0 + 600_000} 1 5`] },
        },
      ],
    },
  ];
}

describe.each(STORES)("import mlflow into a $name store", ({ open }) => {
  it("writes experiments with their note, runs with state, run type, times, params, metrics, tags, note and every point", async () => {
    const dir = tempDir();
    writeMlruns(dir, sample());
    const before = fingerprint(dir);
    const store = open();
    const summary = await importInto(await openMlflow(dir), store);
    expect(summary).toMatchObject({
      source: "mlflow",
      store: store.name,
      dryRun: false,
      nothingToWrite: false,
      timesKept: store.capabilities.keepsTimes,
      experiments: 2,
      runs: 5,
      points: 9,
      written: {
        experiments: { created: 2, updated: 0, unchanged: 0 },
        runs: { created: 5, updated: 0, unchanged: 0, failed: 0 },
        params: 4,
        metrics: 4,
        tags: 3 + 4 * 1, // fox: user, commit, runName; the others: runName
        notes: 1,
        points: 9,
      },
    });
    expect(summary.warnings).toEqual([]);
    expect(await store.getExperiment("default")).toMatchObject({ description: "the default experiment" });
    expect(await store.getExperiment("test-sktime")).toMatchObject({ description: "" });

    const runs = await storedRuns(store);
    expect(runs.map((r) => [r.experiment, r.name, r.state, r.runType])).toEqual([
      ["default", "bright-fox-1", "COMPLETE", "system.ExperimentRun"],
      ["default", "bright-fox-1-2", "FAILED", "system.ExperimentRun"],
      ["default", "sched", "NEW", "system.ExperimentRun"],
      ["default", "killed", "CANCELLED", "system.ExperimentRun"],
      ["test-sktime", "live", "RUNNING", "system.ExperimentRun"],
    ]);
    const fox = find(runs, "default/bright-fox-1");
    expect(fox.params).toEqual({ lr: 0.001, batch_size: 32, optimizer: "adam", "model/depth": 4 });
    expect(fox.metrics).toEqual({ loss: 0.9, "val/acc": 0.75, odd: Number.NEGATIVE_INFINITY });
    expect(fox.tags).toEqual({
      "mlflow.user": "ana",
      "mlflow.source.git.commit": "abc123",
      "mlflow.runName": "bright-fox-1",
    });
    expect(fox.description).toBe("first try");
    expect(fox.series.loss).toEqual({
      steps: [0, 1, 2],
      wallTimes: [T0 + 100, T0 + 250, T0 + 300], // step 1: the later timestamp wins
      values: [1.5, 7, 0.9],
    });
    expect(fox.series["val/acc"]).toEqual({
      steps: [0, 1],
      wallTimes: [T0 + 150, T0 + 250],
      values: [0.5, 0.75],
    });
    expect(fox.series.odd!.values).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(find(runs, "test-sktime/live").series.m).toEqual({
      steps: [5],
      wallTimes: [T0 + 600_000],
      values: [1],
    });
    if (store.capabilities.keepsTimes) {
      expect([fox.createTime, fox.updateTime]).toEqual([T0, T0 + 100_000]);
      expect([find(runs, "default/killed").createTime, find(runs, "default/killed").updateTime]).toEqual([
        T0 + 400_000,
        T0 + 401_000,
      ]);
      // No end time: the last metric timestamp.
      expect(find(runs, "test-sktime/live").updateTime).toBe(T0 + 600_000);
    }
    expect(fingerprint(dir)).toEqual(before);
  });

  it("a second import writes nothing and says so", async () => {
    const dir = tempDir();
    writeMlruns(dir, sample());
    const store = open();
    await importInto(await openMlflow(dir), store);
    const first = await storedRuns(store);
    const again = await importInto(await openMlflow(dir), store);
    expect(again.nothingToWrite).toBe(true);
    expect(again.written).toEqual({
      experiments: { created: 0, updated: 0, unchanged: 2 },
      runs: { created: 0, updated: 0, unchanged: 5, failed: 0 },
      params: 0,
      metrics: 0,
      tags: 0,
      notes: 0,
      states: 0,
      times: 0,
      points: 0,
      tensorboards: 0,
    });
    expect(again.points).toBe(9); // what the source holds is still reported
    expect(await storedRuns(store)).toEqual(first);
  });

  it("a dry run compares with the store: it counts what would be written and writes nothing", async () => {
    const dir = tempDir();
    writeMlruns(dir, sample());
    const store = open();
    const planned = await importInto(await openMlflow(dir), store, { dryRun: true });
    expect(planned.dryRun).toBe(true);
    expect(await storedRuns(store)).toEqual([]);
    expect(await store.getExperiment("default")).toBeUndefined();
    const done = await importInto(await openMlflow(dir), store);
    expect(planned.written).toEqual(done.written);

    // The source grows: one more point and a new tag; the dry run finds exactly those.
    const run = path.join(dir, "0", id(1));
    appendFileSync(path.join(run, "metrics", "loss"), `${T0 + 900} 0.5 3\n`);
    appendFileSync(path.join(run, "tags", "team"), "vision");
    const delta = await importInto(await openMlflow(dir), store, { dryRun: true });
    expect(delta.nothingToWrite).toBe(false);
    expect(delta.written).toMatchObject({
      runs: { created: 0, updated: 1, unchanged: 4 },
      points: 1,
      tags: 1,
      metrics: 1, // the summary of loss is now 0.5
      params: 0,
    });
    expect(find(await storedRuns(store), "default/bright-fox-1").series.loss!.steps).toEqual([0, 1, 2]);
    const applied = await importInto(await openMlflow(dir), store);
    expect(applied.written).toEqual(delta.written);
    const fox = find(await storedRuns(store), "default/bright-fox-1");
    expect(fox.series.loss!.steps).toEqual([0, 1, 2, 3]);
    expect(fox.tags.team).toBe("vision");
    expect((await importInto(await openMlflow(dir), store, { dryRun: true })).nothingToWrite).toBe(true);
  });

  it("imports an mlflow.db the same way, and a second time writes nothing", async () => {
    const file = path.join(tempDir(), "mlflow.db");
    await writeMlflowDb(file, [
      {
        id: "0",
        name: "Default",
        runs: [
          {
            id: id(1),
            name: "calm-owl-3",
            status: 3,
            start: T0,
            end: T0 + 9000,
            params: { lr: "0.01", kind: "cnn" },
            tags: { "mlflow.user": "bo", "mlflow.note.content": "a note" },
            points: [
              { key: "loss", value: 2, timestamp: T0 + 1000, step: 0 },
              { key: "loss", value: 1, timestamp: T0 + 2000, step: 1 },
              { key: "acc", value: Number.NaN, timestamp: T0 + 1000, step: 0 },
              { key: "acc", value: Number.POSITIVE_INFINITY, timestamp: T0 + 2000, step: 1 },
            ],
          },
          { id: id(2), name: "killed-one", status: 5, start: T0 + 100_000 },
        ],
      },
    ]);
    const store = open();
    const summary = await importInto(await openMlflow(file), store);
    expect(summary.written).toMatchObject({ runs: { created: 2 }, points: 4, params: 2, notes: 1 });
    const runs = await storedRuns(store);
    const owl = find(runs, "default/calm-owl-3");
    expect(owl).toMatchObject({
      state: "COMPLETE",
      params: { lr: 0.01, kind: "cnn" },
      metrics: { loss: 1, acc: Number.POSITIVE_INFINITY },
      tags: { "mlflow.user": "bo", "mlflow.runName": "calm-owl-3" },
      description: "a note",
    });
    expect(owl.series.acc).toEqual({
      steps: [0, 1],
      wallTimes: [T0 + 1000, T0 + 2000],
      values: [Number.NaN, Number.POSITIVE_INFINITY],
    });
    expect(find(runs, "default/killed-one").state).toBe("CANCELLED");
    if (store.capabilities.keepsTimes) expect([owl.createTime, owl.updateTime]).toEqual([T0, T0 + 9000]);
    expect((await importInto(await openMlflow(file), store)).nothingToWrite).toBe(true);
  });

  // A time in nanoseconds (or a typo) is beyond what a Date holds and core refuses it: written as is,
  // it failed the whole run ("not imported"); one in microseconds dated the run in the year 55,000.
  // Only that time is dropped, counted, and its file named.
  it("keeps a run whose meta.yaml or metric file holds a time that is not milliseconds", async () => {
    const dir = tempDir();
    const NS = T0 * 1_000_000;
    writeMlruns(dir, [
      {
        id: "0",
        name: "Default",
        runs: [
          { id: id(1), name: "ns-end", status: 3, start: T0, end: NS },
          { id: id(4), name: "us-start", status: 3, start: T0 * 1000, end: T0 + 7 },
          {
            id: id(2),
            name: "ns-point",
            status: 3,
            start: T0,
            metrics: { loss: [`${NS} 9 0`, `${T0 + 5} 1 1`] },
          },
        ],
      },
    ]);
    const store = open();
    const summary = await importInto(await openMlflow(dir), store);
    expect(summary.written.runs).toMatchObject({ created: 3, failed: 0 });
    expect(summary.skipped).toEqual({ invalidTimes: 3 });
    expect([...summary.warnings].sort()).toEqual(
      [
        `${path.join(dir, "0", id(1), "meta.yaml")}: end_time ${NS} is not a time in milliseconds since the epoch; ignored`,
        `${path.join(dir, "0", id(4), "meta.yaml")}: start_time ${T0 * 1000} is not a time in milliseconds since the epoch; ignored`,
        `${path.join(dir, "0", id(2), "metrics", "loss")}: 1 point(s) with a timestamp that is not milliseconds since the epoch skipped`,
      ].sort(),
    );
    const runs = await storedRuns(store);
    expect(find(runs, "default/ns-point").series.loss).toEqual({
      steps: [1],
      wallTimes: [T0 + 5],
      values: [1],
    });
    if (store.capabilities.keepsTimes) {
      expect(find(runs, "default/ns-end").updateTime).toBe(T0);
      // A start time in microseconds would have dated the run in the year 55,000.
      expect(find(runs, "default/us-start").createTime).toBeLessThan(Date.UTC(3000, 0, 1));
    }

    const file = path.join(tempDir(), "mlflow.db");
    await writeMlflowDb(file, [
      {
        id: "0",
        name: "Default",
        runs: [
          {
            id: id(3),
            name: "db-ns",
            status: 3,
            start: T0,
            end: NS,
            points: [{ key: "m", value: 1, timestamp: NS, step: 0 }],
          },
        ],
      },
    ]);
    const fromDb = await importInto(await openMlflow(file), open());
    expect(fromDb.written.runs).toMatchObject({ created: 1, failed: 0 });
    expect(fromDb.skipped).toEqual({ invalidTimes: 2 });
    expect(fromDb.warnings.every((w) => w.startsWith(`${file}: run ${id(3)}: `))).toBe(true);
  });

  it("imports the mlruns folder MLflow 2.6 wrote (sktime's example), tags and states included", async () => {
    const dir = copyFixture("mlflow/sktime-mlflow-2.6/mlruns");
    const store = open();
    const summary = await importInto(await openMlflow(dir), store);
    expect(summary.written.runs.created).toBe(4);
    expect(summary.skipped).toEqual({ artifacts: 2 });
    const runs = await storedRuns(store);
    const gnat = find(runs, "test-sktime/fortunate-gnat-508");
    expect(gnat.state).toBe("COMPLETE");
    expect(gnat.tags["mlflow.user"]).toBe("afi");
    expect(JSON.parse(gnat.tags["mlflow.log-model.history"]!)[0].run_id).toBe(
      "e02eb516b32c41978d260487b2328be2",
    );
    expect(find(runs, "default/merciful-grub-14").state).toBe("FAILED");
    if (store.capabilities.keepsTimes)
      expect([gnat.createTime, gnat.updateTime]).toEqual([1692557296486, 1692557296503]);
    expect((await importInto(await openMlflow(dir), store)).nothingToWrite).toBe(true);
  });
});
