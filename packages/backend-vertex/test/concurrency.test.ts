import { Experiment, ExperimentRun } from "@exprun/core";
import type { VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, lazyFake } from "./fake.js";

// Separate backends = separate gRPC clients and caches, as separate processes or machines would be.

const WRITERS = 8;
const fakeHandle = lazyFake();
let fake: VertexFake;
let writers: VertexBackend[];

beforeAll(async () => {
  fake = await fakeHandle.get();
  writers = Array.from({ length: WRITERS }, () => backendOn(fake));
});
afterAll(async () => {
  await Promise.all(writers.map((b) => b.close?.()));
  await fakeHandle.close();
});

describe(`${WRITERS} concurrent writers on one run`, () => {
  it("every param and metric of every writer survives the etag conflicts", async () => {
    await Experiment.create("conc-exp", { backend: writers[0]! });
    await ExperimentRun.create("shared", { experiment: "conc-exp", backend: writers[0]! });
    fake.resetRpcCounts();
    const perWriter = 12;
    await Promise.all(
      writers.map(async (backend, w) => {
        const run = await ExperimentRun.get("shared", { experiment: "conc-exp", backend });
        for (let i = 0; i < perWriter; i++) {
          await run.logParams({ [`w${w}-p${i}`]: i });
          await run.logMetrics({ [`w${w}-m${i}`]: -i });
        }
      }),
    );
    const run = await ExperimentRun.get("shared", { experiment: "conc-exp", backend: writers[0]! });
    const params = await run.getParams();
    const metrics = await run.getMetrics();
    expect(Object.keys(params)).toHaveLength(WRITERS * perWriter);
    expect(Object.keys(metrics)).toHaveLength(WRITERS * perWriter);
    for (let w = 0; w < WRITERS; w++) {
      for (let i = 0; i < perWriter; i++) {
        expect(params[`w${w}-p${i}`]).toBe(i);
        expect(metrics[`w${w}-m${i}`]).toBe(-i);
      }
    }
    // The writers really did collide: some updates were refused on their etag and redone.
    expect(fake.rpcCounts().UpdateContext ?? 0).toBeGreaterThan(2 * WRITERS * perWriter);
  });

  it("time-series writers on one run, sharing a metric and each with its own, lose no point", async () => {
    const tensorboard = await createTensorboard(fake);
    await ExperimentRun.create("curves", { experiment: "conc-exp", backend: writers[0]!, tensorboard });
    const steps = 300;
    await Promise.all(
      writers.map(async (backend, w) => {
        const run = await ExperimentRun.get("curves", { experiment: "conc-exp", backend });
        for (let i = 0; i < steps; i++) {
          // "shared" is created by whichever writer flushes first; the others find it.
          await run.logTimeSeriesMetrics({ shared: w * steps + i, [`own${w}`]: i }, { step: w * steps + i });
        }
        await run.flush();
      }),
    );
    const run = await ExperimentRun.get("curves", { experiment: "conc-exp", backend: writers[0]! });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows).toHaveLength(WRITERS * steps);
    expect(rows.every((r) => r.shared === r.step)).toBe(true);
    for (let w = 0; w < WRITERS; w++)
      expect(rows.filter((r) => r[`own${w}`] !== undefined)).toHaveLength(steps);
    const series = fake.store.listTensorboardTimeSeries(run.tensorboardRun!);
    expect(series.map((s) => s.displayName).sort()).toEqual(
      ["shared", ...Array.from({ length: WRITERS }, (_, w) => `own${w}`)].sort(),
    );
  });

  it("a state change racing param writes neither undoes nor is undone", async () => {
    await ExperimentRun.create("state-race", { experiment: "conc-exp", backend: writers[0]! });
    await Promise.all(
      writers.map(async (backend, w) => {
        const run = await ExperimentRun.get("state-race", { experiment: "conc-exp", backend });
        if (w === 0) await run.updateState("FAILED");
        else await run.logParams({ [`k${w}`]: w });
      }),
    );
    const run = await ExperimentRun.get("state-race", { experiment: "conc-exp", backend: writers[1]! });
    expect(run.state).toBe("FAILED");
    expect(Object.keys(await run.getParams())).toHaveLength(WRITERS - 1);
  });
});
