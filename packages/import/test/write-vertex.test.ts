import { createVertexBackend } from "@exprun/backend-vertex";
import { type CheckedBackend, collectPages } from "@exprun/core";
import { startVertexFake, type VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { importInto, openMlflow, openWandb } from "../src/index.js";
import { writeMlruns } from "./generators/mlflow.js";
import { exitRecord, historyRecord, runRecord, summaryRecord, writeOfflineRun } from "./generators/wandb.js";
import { tempDir } from "./helpers.js";
import { find, storedRuns } from "./stores.js";

// Importing straight into Vertex (the local gRPC fake, through the real client): a store that
// assigns its own times, keeps tags as labels and cannot keep NaN in params or metrics.

const PROJECT = "test-project";
const LOCATION = "us-central1";
const T0 = 1_700_000_000_000;
const id = (n: number) => n.toString(16).padStart(32, "0");

let fake: VertexFake;
let store: CheckedBackend;
let tensorboard: string;

beforeAll(async () => {
  fake = await startVertexFake({ port: 0 });
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(async () => {
  await store?.close?.();
  fake.reset();
  store = createVertexBackend({
    project: PROJECT,
    location: LOCATION,
    ...fake.clientOptions(),
    retry: { initialDelayMs: 2, maxDelayMs: 200 },
  });
  tensorboard = fake.store.putTensorboard({
    name: `projects/${PROJECT}/locations/${LOCATION}/tensorboards/123`,
    displayName: "tb",
  }).name;
});

function mlruns(): string {
  const dir = tempDir();
  writeMlruns(dir, [
    {
      id: "0",
      name: "Default",
      runs: [
        {
          id: id(1),
          name: "bright-fox-1",
          status: 3,
          start: T0,
          end: T0 + 100_000,
          params: { lr: "0.001", layers: "4" },
          tags: {
            "mlflow.user": "ana",
            "mlflow.source.git.commit": "abc123",
            "mlflow.source.name": "/home/ana/train.py",
            "mlflow.source.type": "LOCAL",
            team: "vision",
            "mlflow.note.content": "first try",
          },
          metrics: {
            loss: [`${T0 + 100} 1.5 0`, `${T0 + 200} 0.5 1`],
            odd: [`${T0 + 500} 1 0`, `${T0 + 600} nan 1`],
          },
        },
        {
          id: id(2),
          name: "calm-owl-2",
          status: 4,
          start: T0 + 200_000,
          tags: { "mlflow.user": "bo", "mlflow.source.name": "/home/bo/train.py" },
          metrics: { loss: [`${T0 + 200_100} inf 0`] },
        },
      ],
    },
  ]);
  return dir;
}

describe("import into Vertex (the fake)", () => {
  it("renames tag keys to label keys, leaves out what labels and params cannot hold with one warning per key, and keeps every point", async () => {
    await store.createExperiment({ name: "default", description: "", backingTensorboard: tensorboard });
    const dir = mlruns();
    const summary = await importInto(await openMlflow(dir), store);
    expect(summary).toMatchObject({
      store: "vertex",
      timesKept: false,
      written: { runs: { created: 2, failed: 0 }, points: 5, tensorboards: 2, notes: 1 },
      // mlflow.source.name (2 runs) and mlflow.source.type: values that are not label values
      skipped: { tagsNotLabels: 3, nonFiniteMetrics: 2 },
    });
    expect(summary.warnings).toEqual([
      `metric "odd" (NaN) in run default/bright-fox-1: the vertex store cannot keep NaN or ±Infinity in summary metrics; not imported`,
      `tag "mlflow.source.name" ("/home/ana/train.py") in 2 runs, first default/bright-fox-1: the vertex store keeps tags as labels, whose values are at most 63 lowercase letters, digits, _ or -; not imported`,
      `tag "mlflow.source.type" ("LOCAL") in run default/bright-fox-1: the vertex store keeps tags as labels, whose values are at most 63 lowercase letters, digits, _ or -; not imported`,
      `metric "loss" (Infinity) in run default/calm-owl-2: the vertex store cannot keep NaN or ±Infinity in summary metrics; not imported`,
      "tag keys renamed to fit the vertex store's label rules (lowercase letters, digits, _ and -): mlflow.runName → mlflow_runname, mlflow.source.git.commit → mlflow_source_git_commit, mlflow.user → mlflow_user",
    ]);
    const runs = await storedRuns(store);
    const fox = find(runs, "default/bright-fox-1");
    expect(fox).toMatchObject({
      state: "COMPLETE",
      params: { lr: 0.001, layers: 4 },
      metrics: { loss: 0.5 },
      tags: {
        mlflow_user: "ana",
        mlflow_source_git_commit: "abc123",
        mlflow_runname: "bright-fox-1",
        team: "vision",
      },
      description: "first try",
    });
    expect(Object.keys(fox.metrics)).toEqual(["loss"]);
    // Series keep NaN and ±Infinity on every store.
    expect(fox.series.odd).toEqual({
      steps: [0, 1],
      wallTimes: [T0 + 500, T0 + 600],
      values: [1, Number.NaN],
    });
    expect(fox.series.loss).toEqual({ steps: [0, 1], wallTimes: [T0 + 100, T0 + 200], values: [1.5, 0.5] });
    expect(find(runs, "default/calm-owl-2").series.loss!.values).toEqual([Number.POSITIVE_INFINITY]);
    // Vertex assigns its own times: the source's are not there.
    expect(fox.createTime).not.toBe(T0);

    const again = await importInto(await openMlflow(dir), store);
    expect(again.nothingToWrite).toBe(true);
    expect(again.written.runs).toEqual({ created: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(again.skipped).toMatchObject({ tagsNotLabels: 3, nonFiniteMetrics: 2 }); // still said, every time
  });

  it("an experiment without a backing TensorBoard gets everything but the series, counted, with the fix in the warning", async () => {
    const dir = mlruns();
    const summary = await importInto(await openMlflow(dir), store);
    expect(summary.written).toMatchObject({ experiments: { created: 1 }, runs: { created: 2 }, points: 0 });
    expect(summary.skipped.pointsWithoutTensorboard).toBe(5);
    expect(summary.warnings).toContain(
      "default: 5 time-series points of 2 run(s) not imported: the vertex store keeps time series in a TensorBoard and the experiment has none. " +
        "Give it one (exprun experiments create default --tensorboard projects/…/tensorboards/…, before importing) and import again.",
    );
    expect(find(await storedRuns(store), "default/bright-fox-1").params).toEqual({ lr: 0.001, layers: 4 });
  });

  it("a dry run against Vertex compares and writes nothing", async () => {
    await store.createExperiment({ name: "default", description: "", backingTensorboard: tensorboard });
    const dir = mlruns();
    const planned = await importInto(await openMlflow(dir), store, { dryRun: true });
    expect(planned.written).toMatchObject({ runs: { created: 2 }, points: 5 });
    expect(await collectPages((page) => store.listRuns("default", page))).toEqual([]);
    const done = await importInto(await openMlflow(dir), store);
    expect(done.written).toEqual(planned.written);
  });

  it("W&B tags and NaN summaries fit the same way", async () => {
    const wandb = tempDir();
    writeOfflineRun(wandb, "20240101_120000", "abc123xy", [
      runRecord({ runId: "abc123xy", project: "Vision", entity: "Team-A", tags: ["Baseline", "res net"] }),
      historyRecord({ loss: "RAW:NaN", _timestamp: 1_700_000_001 }, 0),
      summaryRecord({ best: 0.5 }),
      exitRecord(0, 5),
    ]);
    await store.createExperiment({ name: "vision", description: "", backingTensorboard: tensorboard });
    const summary = await importInto(await openWandb(wandb), store);
    expect(summary.written.runs.created).toBe(1);
    const [run] = await storedRuns(store);
    expect(run!.tags).toEqual({ baseline: "", res_net: "", wandb_run_id: "abc123xy" });
    expect(run!.metrics).toEqual({ best: 0.5 });
    expect(run!.series.loss!.values).toEqual([Number.NaN]);
    expect(summary.skipped).toMatchObject({ tagsNotLabels: 1, nonFiniteMetrics: 1 }); // wandb.entity "Team-A"
  });
});
