import { Experiment, ExperimentRun, latestSeriesPoints } from "@exprun/core";
import type { VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, lazyFake } from "./fake.js";

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
let tensorboard: string;

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
  tensorboard = await createTensorboard(fake);
  await Experiment.create("eff-exp", { backend, backingTensorboard: tensorboard });
});
afterAll(async () => {
  await backend?.close?.();
  await fakeHandle.close();
});

describe("RPC economy", () => {
  it("concurrent logParams of one process coalesce into few UpdateContext calls, all keys kept", async () => {
    const run = await ExperimentRun.create("coalesce", { experiment: "eff-exp", backend });
    fake.resetRpcCounts();
    await Promise.all(Array.from({ length: 200 }, (_, i) => run.logParams({ [`p${i}`]: i })));
    expect(Object.keys(await run.getParams())).toHaveLength(200);
    expect(fake.rpcCounts().UpdateContext).toBeLessThanOrEqual(5);
  });

  it("a lone writer updates with the etag it last saw: one RPC per logParams", async () => {
    const run = await ExperimentRun.create("lone", { experiment: "eff-exp", backend });
    fake.resetRpcCounts();
    for (let i = 0; i < 10; i++) await run.logParams({ [`p${i}`]: i });
    expect(fake.rpcCounts()).toEqual({ UpdateContext: 10 });
  });

  it("12,000 points are buffered and written in 3 WriteTensorboardRunData calls of ≤ 5,000 points", async () => {
    const run = await ExperimentRun.create("batched", { experiment: "eff-exp", backend });
    fake.resetRpcCounts();
    for (let step = 1; step <= 4000; step++) {
      await run.logTimeSeriesMetrics({ a: step, b: -step, c: step / 2 }, { step, wallTime: step });
    }
    await run.flush();
    const counts = fake.rpcCounts();
    expect(counts.WriteTensorboardRunData).toBe(3);
    expect(counts.BatchCreateTensorboardTimeSeries).toBe(1);
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows).toHaveLength(4000);
    expect(rows[3999]).toEqual({ step: 4000, wall_time: new Date(4000), a: 4000, b: -4000, c: 2000 });
  });

  it("the latest point comes from max_step even past BatchRead's 1,000-point sample", async () => {
    const run = await ExperimentRun.get("batched", { experiment: "eff-exp", backend });
    const latest = await latestSeriesPoints(backend, { experiment: "eff-exp", run: run.name });
    expect(latest.a).toEqual({ metric: "a", step: 4000, wallTime: 4000, value: 4000 });
    expect(latest.c?.value).toBe(2000);
  });

  it("the experiment DataFrame without time series is one page of run contexts, and no write", async () => {
    for (let i = 0; i < 30; i++) {
      const run = await ExperimentRun.create(`frame-${i}`, { experiment: "eff-exp", backend });
      await run.logMetrics({ m: i });
    }
    fake.resetRpcCounts();
    const rows = await (await Experiment.get("eff-exp", { backend })).getDataFrame({
      includeTimeSeries: false,
    });
    expect(rows.length).toBeGreaterThanOrEqual(33);
    const counts = fake.rpcCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5);
    expect(Object.keys(counts).filter((m) => !/^(Get|List)/.test(m))).toEqual([]);
  });

  it("the experiment DataFrame with time-series columns writes nothing", async () => {
    fake.resetRpcCounts();
    await (await Experiment.get("eff-exp", { backend })).getDataFrame();
    const writes = Object.keys(fake.rpcCounts()).filter((m) => !/^(Get|List|BatchRead|Read|Export)/.test(m));
    expect(writes).toEqual([]);
  });
});
