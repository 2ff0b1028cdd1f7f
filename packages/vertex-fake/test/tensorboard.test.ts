import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { codeOf, type Harness, LOCATION, PROJECT, startHarness } from "./setup.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ projectNumber: "777000" });
}, 30_000);
afterAll(() => h.close());
beforeEach(() => h.fake.reset());

const parent = `projects/${PROJECT}/locations/${LOCATION}`;

/** A tensorboard with experiment "exp" and run "run". */
async function tensorboardRun() {
  const [operation] = await h.tensorboard.createTensorboard({ parent, tensorboard: { displayName: "tb" } });
  const [tensorboard] = await operation.promise();
  const [experiment] = await h.tensorboard.createTensorboardExperiment({
    parent: tensorboard.name,
    tensorboardExperimentId: "exp",
    tensorboardExperiment: { displayName: "exp" },
  });
  const [run] = await h.tensorboard.createTensorboardRun({
    parent: experiment.name,
    tensorboardRunId: "run",
    tensorboardRun: { displayName: "run" },
  });
  return { tensorboard: tensorboard.name!, experiment: experiment.name!, run: run.name! };
}

async function scalarSeries(run: string, displayName: string) {
  const [series] = await h.tensorboard.createTensorboardTimeSeries({
    parent: run,
    tensorboardTimeSeries: { displayName, valueType: "SCALAR", pluginName: "scalars" },
  });
  return series.name!;
}

const idOf = (name: string) => name.slice(name.lastIndexOf("/") + 1);

function points(from: number, count: number, value = (step: number) => step / 10) {
  return Array.from({ length: count }, (_, i) => ({
    step: from + i,
    wallTime: { seconds: 1_700_000_000 + from + i },
    scalar: { value: value(from + i) },
  }));
}

async function write(run: string, series: string, values: ReturnType<typeof points>) {
  await h.tensorboard.writeTensorboardRunData({
    tensorboardRun: run,
    timeSeriesData: [{ tensorboardTimeSeriesId: idOf(series), valueType: "SCALAR", values }],
  });
}

describe("TensorBoard resources", () => {
  it("creates a tensorboard through a finished operation, named with the project number", async () => {
    const { tensorboard, run } = await tensorboardRun();
    expect(tensorboard).toMatch(/^projects\/777000\/locations\/us-central1\/tensorboards\/\d{19}$/);
    expect(run).toBe(`${tensorboard}/experiments/exp/runs/run`);
    const [got] = await h.tensorboard.getTensorboard({ name: tensorboard.replace("777000", PROJECT) });
    expect(got.runCount).toBe(1);
  });

  it("answers ALREADY_EXISTS for a taken run id and NOT_FOUND for a missing run", async () => {
    const { experiment, run } = await tensorboardRun();
    const error = await codeOf(
      h.tensorboard.createTensorboardRun({ parent: experiment, tensorboardRunId: "run", tensorboardRun: {} }),
    );
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect((await codeOf(h.tensorboard.getTensorboardRun({ name: `${run}-x` }))).code).toBe(status.NOT_FOUND);
  });

  it("rejects a second time series with the same display name in a run: INVALID_ARGUMENT 'already exist'", async () => {
    const { run } = await tensorboardRun();
    await scalarSeries(run, "loss");
    const error = await codeOf(scalarSeries(run, "loss"));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain("already exist");
  });

  it("lists time series with a display_name filter", async () => {
    const { run } = await tensorboardRun();
    await scalarSeries(run, "loss");
    const accuracy = await scalarSeries(run, "accuracy");
    const [found] = await h.tensorboard.listTensorboardTimeSeries({
      parent: run,
      filter: 'display_name = "accuracy"',
    });
    expect(found.map((s) => s.name)).toEqual([accuracy]);
  });

  it("reads runs/- as a run id (NOT_FOUND) unless the wildcard is enabled", async () => {
    const { experiment, run } = await tensorboardRun();
    await scalarSeries(run, "loss");
    const error = await codeOf(h.tensorboard.listTensorboardTimeSeries({ parent: `${experiment}/runs/-` }));
    expect(error.code).toBe(status.NOT_FOUND);
  });

  it("with wildcardParents, lists the series of every run of an experiment under runs/-, paged", async () => {
    const wild = await startHarness({ wildcardParents: true });
    try {
      const [operation] = await wild.tensorboard.createTensorboard({
        parent,
        tensorboard: { displayName: "tb" },
      });
      const [tensorboard] = await operation.promise();
      const experimentName = `${tensorboard.name}/experiments/exp`;
      await wild.tensorboard.createTensorboardExperiment({
        parent: tensorboard.name,
        tensorboardExperimentId: "exp",
        tensorboardExperiment: {},
      });
      const expected: string[] = [];
      for (const runId of ["a", "b", "c"]) {
        const [run] = await wild.tensorboard.createTensorboardRun({
          parent: experimentName,
          tensorboardRunId: runId,
          tensorboardRun: {},
        });
        for (const displayName of ["loss", "acc"]) {
          const [series] = await wild.tensorboard.createTensorboardTimeSeries({
            parent: run.name,
            tensorboardTimeSeries: { displayName, valueType: "SCALAR", pluginName: "scalars" },
          });
          expected.push(series.name!);
        }
      }
      const [first, , response] = await wild.tensorboard.listTensorboardTimeSeries(
        { parent: `${experimentName}/runs/-`, pageSize: 4 },
        { autoPaginate: false },
      );
      const [rest] = await wild.tensorboard.listTensorboardTimeSeries(
        { parent: `${experimentName}/runs/-`, pageSize: 4, pageToken: response?.nextPageToken ?? "" },
        { autoPaginate: false },
      );
      expect([...first, ...rest].map((s) => s.name)).toEqual(expected);
      const [losses] = await wild.tensorboard.listTensorboardTimeSeries({
        parent: `${experimentName}/runs/-`,
        filter: 'display_name = "loss"',
      });
      expect(losses).toHaveLength(3);
    } finally {
      await wild.close();
    }
  });

  it("batch-creates runs and time series", async () => {
    const { experiment } = await tensorboardRun();
    const [runs] = await h.tensorboard.batchCreateTensorboardRuns({
      parent: experiment,
      requests: ["r-1", "r-2"].map((id) => ({
        parent: experiment,
        tensorboardRunId: id,
        tensorboardRun: { displayName: id },
      })),
    });
    expect(runs.tensorboardRuns?.map((r) => r.displayName)).toEqual(["r-1", "r-2"]);
    const [series] = await h.tensorboard.batchCreateTensorboardTimeSeries({
      parent: experiment,
      requests: ["a", "b"].map((displayName) => ({
        parent: `${experiment}/runs/r-1`,
        tensorboardTimeSeries: { displayName, valueType: "SCALAR" },
      })),
    });
    expect(series.tensorboardTimeSeries).toHaveLength(2);
  });

  it("deletes a run through a finished operation, with its series and points", async () => {
    const { run } = await tensorboardRun();
    const loss = await scalarSeries(run, "loss");
    await write(run, loss, points(1, 10));
    const [operation] = await h.tensorboard.deleteTensorboardRun({ name: run });
    await operation.promise();
    expect(h.fake.store.getTensorboardRun(run)).toBeUndefined();
    expect(h.fake.store.getTensorboardTimeSeries(loss)).toBeUndefined();
    expect(h.fake.store.tensorboardPoints(loss)).toEqual([]);
  });
});

describe("TensorBoard data", () => {
  it("rejects a write of 5,001 points with INVALID_ARGUMENT and stores none of them", async () => {
    const { run } = await tensorboardRun();
    const loss = await scalarSeries(run, "loss");
    const error = await codeOf(write(run, loss, points(1, 5001)));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(h.fake.store.tensorboardPoints(loss)).toEqual([]);
    await write(run, loss, points(1, 5000));
    expect(h.fake.store.tensorboardPoints(loss)).toHaveLength(5000);
  });

  it("overwrites a step written twice and keeps max_step / max_wall_time in the series metadata", async () => {
    const { run } = await tensorboardRun();
    const loss = await scalarSeries(run, "loss");
    await write(run, loss, points(0, 5));
    await write(run, loss, [{ step: 2, wallTime: { seconds: 1_800_000_000 }, scalar: { value: 42 } }]);
    const stored = h.fake.store.tensorboardPoints(loss);
    expect(stored.map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
    expect(stored[2]?.scalar?.value).toBe(42);
    const [series] = await h.tensorboard.getTensorboardTimeSeries({ name: loss });
    expect(Number(series.metadata?.maxStep)).toBe(4);
    expect(Number(series.metadata?.maxWallTime?.seconds)).toBe(1_800_000_000);
  });

  it("rejects a batch read of 21 series with the service's message, and reads 20", async () => {
    const { tensorboard, run } = await tensorboardRun();
    const names: string[] = [];
    for (let i = 0; i < 21; i++) names.push(await scalarSeries(run, `m${i}`));
    const error = await codeOf(
      h.tensorboard.batchReadTensorboardTimeSeriesData({ tensorboard, timeSeries: names }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe("Maximum of 20 TensorboardTimeSeries to read.");
    const [read] = await h.tensorboard.batchReadTensorboardTimeSeriesData({
      tensorboard,
      timeSeries: names.slice(0, 20),
    });
    expect(read.timeSeriesData).toHaveLength(20);
  });

  it("samples a batch read down to 1,000 points per scalar series", async () => {
    const { tensorboard, run } = await tensorboardRun();
    const loss = await scalarSeries(run, "loss");
    await write(run, loss, points(1, 1500));
    const [read] = await h.tensorboard.batchReadTensorboardTimeSeriesData({
      tensorboard,
      timeSeries: [loss],
    });
    const steps = read.timeSeriesData?.[0]?.values?.map((p) => Number(p.step)) ?? [];
    expect(steps).toHaveLength(1000);
    expect(new Set(steps).size).toBe(1000);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it("reads one series up to max_data_points, or all of it with -1", async () => {
    const { run } = await tensorboardRun();
    const loss = await scalarSeries(run, "loss");
    await write(run, loss, points(1, 1200));
    const [some] = await h.tensorboard.readTensorboardTimeSeriesData({
      tensorboardTimeSeries: loss,
      maxDataPoints: 10,
    });
    expect(some.timeSeriesData?.values).toHaveLength(10);
    const [all] = await h.tensorboard.readTensorboardTimeSeriesData({
      tensorboardTimeSeries: loss,
      maxDataPoints: -1,
    });
    expect(all.timeSeriesData?.values).toHaveLength(1200);
  });

  it("exports all 12,000 points of a series, page by page, in step order", async () => {
    const { run } = await tensorboardRun();
    const loss = await scalarSeries(run, "loss");
    for (let from = 1; from <= 12_000; from += 5000)
      await write(run, loss, points(from, Math.min(5000, 12_001 - from)));
    h.fake.resetRpcCounts();
    const [exported] = await h.tensorboard.exportTensorboardTimeSeriesData(
      { tensorboardTimeSeries: loss, orderBy: "step" },
      { autoPaginate: true },
    );
    expect(exported.map((p) => Number(p.step))).toEqual(Array.from({ length: 12_000 }, (_, i) => i + 1));
    expect(h.fake.rpcCounts().ExportTensorboardTimeSeriesData).toBe(12);
    const [descending] = await h.tensorboard.exportTensorboardTimeSeriesData(
      { tensorboardTimeSeries: loss, orderBy: "step desc", pageSize: 10_000 },
      { autoPaginate: false },
    );
    expect(descending).toHaveLength(10_000);
    expect(Number(descending[0]?.step)).toBe(12_000);
  });

  it("exports every point exactly once without order_by (pseudo-random order)", async () => {
    const { run } = await tensorboardRun();
    const loss = await scalarSeries(run, "loss");
    await write(run, loss, points(1, 2500));
    const [exported] = await h.tensorboard.exportTensorboardTimeSeriesData(
      { tensorboardTimeSeries: loss },
      { autoPaginate: true },
    );
    const steps = exported.map((p) => Number(p.step));
    expect(new Set(steps).size).toBe(2500);
    expect(steps).not.toEqual([...steps].sort((a, b) => a - b));
  });
});
