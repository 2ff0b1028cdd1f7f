import { Experiment, ExperimentRun, type SeriesChunk } from "@exprun/core";
import type { VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, lazyFake } from "./fake.js";

// The streaming series read on the complete Export API: paged, lazy, pushed down, creation order.

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
let run: ExperimentRun;
const STEPS = 25_000;

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
  const tensorboard = await createTensorboard(fake);
  await Experiment.create("stream-exp", { backend, backingTensorboard: tensorboard });
  run = await ExperimentRun.create("long", { experiment: "stream-exp", backend });
  // zeta's series is created before alpha's: Python's columns follow creation, not the alphabet.
  await run.logTimeSeriesMetrics({ zeta: 0 }, { step: 0, wallTime: 0 });
  for (let step = 1; step <= STEPS; step++) {
    await run.logTimeSeriesMetrics({ zeta: step, alpha: -step }, { step, wallTime: step });
  }
  await run.logTimeSeriesMetrics({ early: 1 }, { step: 1, wallTime: 1 });
  await run.flush();
});
afterAll(async () => {
  await backend?.close?.();
  await fakeHandle.close();
});

describe("readSeries on Vertex", () => {
  it("reads one Export page (≤ 10,000 points, in step order) per chunk, and only when asked for it", async () => {
    fake.resetRpcCounts();
    const iterator = run.readTimeSeries({ metrics: ["zeta"] })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(fake.rpcCounts().ExportTensorboardTimeSeriesData).toBe(1);
    const chunks: SeriesChunk[] = [first.value as SeriesChunk];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value);
    expect(fake.rpcCounts().ExportTensorboardTimeSeriesData).toBe(3);
    expect(chunks.map((c) => c.steps.length)).toEqual([10_000, 10_000, 5_001]);
    const steps = chunks.flatMap((c) => [...c.steps]);
    expect(steps).toEqual(Array.from({ length: STEPS + 1 }, (_, i) => i));
    expect(chunks.every((c) => c.metric === "zeta" && c.values instanceof Float64Array)).toBe(true);
  });

  it("delivers metrics in the order their series were created", async () => {
    const firstChunkOf: string[] = [];
    for await (const chunk of run.readTimeSeries()) {
      if (!firstChunkOf.includes(chunk.metric)) firstChunkOf.push(chunk.metric);
    }
    expect(firstChunkOf).toEqual(["zeta", "alpha", "early"]);
    const rows = await run.getTimeSeriesDataFrame();
    expect(Object.keys(rows[1]!)).toEqual(["step", "wall_time", "zeta", "alpha", "early"]);
  });

  it("pushes a step range down: filtered exports, and a series entirely below the range is not read", async () => {
    fake.resetRpcCounts();
    const points: [string, number][] = [];
    for await (const chunk of run.readTimeSeries({ steps: { from: 24_990, to: 24_995 } })) {
      for (const step of chunk.steps) points.push([chunk.metric, step]);
    }
    expect(points).toEqual(
      ["zeta", "alpha"].flatMap((m) => [24_990, 24_991, 24_992, 24_993, 24_994, 24_995].map((s) => [m, s])),
    );
    // zeta and alpha, one small page each; "early" (max_step 1) is skipped without an export.
    expect(fake.rpcCounts().ExportTensorboardTimeSeriesData).toBe(2);
  });

  it("a missing run rejects with NOT_FOUND from the first next(), before any chunk", async () => {
    const stream = backend.readSeries({ experiment: "stream-exp", run: "never-made" });
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("a read first writes what this process buffered for the run", async () => {
    const fresh = await ExperimentRun.create("buffered", { experiment: "stream-exp", backend });
    await fresh.logTimeSeriesMetrics({ loss: 0.5 }, { step: 3, wallTime: 3 });
    const chunks: SeriesChunk[] = [];
    for await (const chunk of fresh.readTimeSeries()) chunks.push(chunk);
    expect(chunks.map((c) => [c.metric, [...c.steps], [...c.values]])).toEqual([["loss", [3], [0.5]]]);
  });
});
