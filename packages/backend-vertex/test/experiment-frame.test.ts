import { Experiment, ExperimentRun } from "@exprun/core";
import { startVertexFake, toStruct, type VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, LOCATION, PROJECT } from "./fake.js";

// Issue 13.6: the experiment DataFrame's time-series columns. Python reads each run's reference
// artifact, TensorBoard run and series list (≥ 3 RPCs a run, then BatchReads). exprun reads the
// reference artifacts many at a time and, where the service takes the AIP-159 `runs/-` wildcard,
// every series of the experiment in one listing.

const RUNS = 40;
const MS = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

interface Setup {
  fake: VertexFake;
  backend: VertexBackend;
  tensorboard: string;
}

async function setUp(wildcardParents: boolean): Promise<Setup> {
  const fake = await startVertexFake({ wildcardParents });
  const backend = backendOn(fake);
  const tensorboard = await createTensorboard(fake);
  await Experiment.create("frame-exp", { backend, backingTensorboard: tensorboard });
  for (let i = 0; i < RUNS; i++) {
    const run = await ExperimentRun.create(`run-${i}`, { experiment: "frame-exp", backend });
    await run.logParams({ i });
    await run.logTimeSeriesMetrics({ loss: 1, acc: 0 }, { step: 1 });
    await run.logTimeSeriesMetrics({ loss: 1 / (i + 2), acc: i / RUNS }, { step: 2 });
  }
  await backend.flush?.();
  return { fake, backend, tensorboard };
}

function expectColumns(rows: Record<string, unknown>[]): void {
  expect(rows).toHaveLength(RUNS);
  for (const [i, row] of rows.entries()) {
    expect(row.run_name).toBe(`run-${i}`);
    expect(row["time_series_metric.loss"]).toBe(1 / (i + 2));
    expect(row["time_series_metric.acc"]).toBe(i / RUNS);
  }
}

describe("where the service takes the runs/- wildcard", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp(true);
  });
  afterAll(async () => {
    await s?.backend.close?.();
    await s?.fake.close();
  });

  it("costs one series listing per experiment and one BatchRead per 20 series, plus a constant", async () => {
    const experiment = await Experiment.get("frame-exp", { backend: s.backend });
    s.fake.resetRpcCounts();
    expectColumns(await experiment.getDataFrame());
    const counts = s.fake.rpcCounts();
    expect(counts.BatchReadTensorboardTimeSeriesData).toBe(Math.ceil((2 * RUNS) / 20));
    expect(counts.ListTensorboardTimeSeries).toBe(1);
    expect(counts.GetArtifact).toBeUndefined();
    expect(total(counts)).toBeLessThanOrEqual(Math.ceil((2 * RUNS) / 20) + 4);
  });

  it("a page holding no run contexts reads no artifacts (an empty name filter would list them all)", async () => {
    const first = await s.backend.listRuns("frame-exp", { pageSize: RUNS, withLatestTimeSeries: true });
    expect(first.items).toHaveLength(RUNS);
    expect(first.nextPageToken).toBeDefined();
    s.fake.resetRpcCounts();
    const legacy = await s.backend.listRuns("frame-exp", {
      pageSize: RUNS,
      pageToken: first.nextPageToken,
      withLatestTimeSeries: true,
    });
    expect(legacy.items).toEqual([]);
    expect(s.fake.rpcCounts()).toEqual({ ListExecutions: 1 });
  });

  it("a run on another TensorBoard, a run without one and a deleted TensorBoard run read as Python reads them", async () => {
    const other = await createTensorboard(s.fake, "other");
    const elsewhere = await ExperimentRun.create("elsewhere", {
      experiment: "frame-exp",
      backend: s.backend,
      tensorboard: other,
    });
    await elsewhere.logTimeSeriesMetrics({ loss: 7 }, { step: 3 });
    // A run Python made before the experiment had a TensorBoard: no reference artifact at all.
    s.fake.store.putContext({
      name: `${MS}/contexts/frame-exp-untracked`,
      displayName: "untracked",
      schemaTitle: "system.ExperimentRun",
      schemaVersion: "0.0.1",
      metadata: toStruct({ _params: {}, _metrics: {}, _state: "COMPLETE" }),
      parentContexts: [`${MS}/contexts/frame-exp`],
    });
    const gone = await ExperimentRun.create("gone", { experiment: "frame-exp", backend: s.backend });
    await gone.logTimeSeriesMetrics({ loss: 9 }, { step: 1 });
    await s.backend.flush?.();
    expect(s.fake.store.deleteTensorboardRun(gone.tensorboardRun!)).toBe(true);

    const rows = await (await Experiment.get("frame-exp", { backend: s.backend })).getDataFrame();
    const byName = new Map(rows.map((r) => [r.run_name, r]));
    expect(byName.get("elsewhere")?.["time_series_metric.loss"]).toBe(7);
    expect(byName.get("elsewhere")?.["time_series_metric.acc"] ?? null).toBeNull();
    expect(byName.get("untracked")?.["time_series_metric.loss"] ?? null).toBeNull();
    expect(byName.get("gone")?.["time_series_metric.loss"] ?? null).toBeNull();
    expect(byName.get("run-3")?.["time_series_metric.loss"]).toBe(1 / 5);
  });
});

describe("where it does not (Vertex documents no cross-run listing)", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp(false);
  });
  afterAll(async () => {
    s?.fake.injectFailures(null);
    await s?.backend.close?.();
    await s?.fake.close();
  });

  it("tries the wildcard once, then lists series run by run; reference artifacts are still read in bulk", async () => {
    const experiment = await Experiment.get("frame-exp", { backend: s.backend });
    s.fake.resetRpcCounts();
    expectColumns(await experiment.getDataFrame());
    let counts = s.fake.rpcCounts();
    expect(counts.ListTensorboardTimeSeries).toBe(RUNS + 1);
    expect(counts.ListArtifacts).toBe(1);
    expect(counts.GetArtifact).toBeUndefined();
    s.fake.resetRpcCounts();
    expectColumns(await experiment.getDataFrame());
    counts = s.fake.rpcCounts();
    expect(counts.ListTensorboardTimeSeries).toBe(RUNS);
  });

  it("a service that refuses the bulk artifact filter is read one artifact at a time, with the same result", async () => {
    const fresh = backendOn(s.fake);
    try {
      s.fake.injectFailures({ rate: 1, methods: ["ListArtifacts"], codes: [3] });
      const experiment = await Experiment.get("frame-exp", { backend: fresh });
      s.fake.resetRpcCounts();
      expectColumns(await experiment.getDataFrame());
      expect(s.fake.rpcCounts().GetArtifact).toBe(RUNS);
    } finally {
      s.fake.injectFailures(null);
      await fresh.close?.();
    }
  });
});
