import {
  Artifact,
  Execution,
  Experiment,
  ExperimentRun,
  latestSeriesPoints,
  PipelineJob,
} from "@exprun/core";
import type { VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, lazyFake } from "./fake.js";

// UNAVAILABLE / RESOURCE_EXHAUSTED injected (before the fake changes anything) on a share of all calls.

const RATE = 0.15;
const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
});
afterAll(async () => {
  fake?.injectFailures(null);
  await backend?.close?.();
  await fakeHandle.close();
});

describe(`faults on ${RATE * 100}% of calls`, () => {
  it("a whole workload of experiments, runs, params, metrics and links loses nothing", async () => {
    fake.injectFailures({ rate: RATE, seed: 7 });
    fake.resetRpcCounts();
    await Experiment.create("faulty", { backend, description: "under fire" });
    const names = Array.from({ length: 6 }, (_, i) => `run-${i}`);
    await Promise.all(
      names.map(async (name, i) => {
        const run = await ExperimentRun.create(name, { experiment: "faulty", backend });
        for (let k = 0; k < 5; k++) {
          await run.logParams({ [`p${k}`]: i * 10 + k });
          await run.logMetrics({ [`m${k}`]: k / 10 });
        }
        const execution = await Execution.create({
          backend,
          schemaTitle: "system.ContainerExecution",
          displayName: name,
        });
        await run.associateExecution(execution);
        await run.logClassificationMetrics({
          labels: ["a", "b"],
          matrix: [
            [1, 0],
            [0, 1],
          ],
          displayName: name,
        });
        await run.log({
          pipelineJob: new PipelineJob({ resourceName: `pipelineJobs/job-${name}`, displayName: name }),
        });
        await run.updateState("COMPLETE");
      }),
    );
    const failed = fake.rpcCounts();
    fake.injectFailures(null);

    const total = Object.values(failed).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(100);
    const runs = await ExperimentRun.list({ experiment: "faulty", backend });
    expect(runs.map((r) => r.name).sort()).toEqual(names);
    for (const [i, name] of names.entries()) {
      const run = await ExperimentRun.get(name, { experiment: "faulty", backend });
      expect(run.state).toBe("COMPLETE");
      expect(await run.getParams()).toEqual(
        Object.fromEntries([0, 1, 2, 3, 4].map((k) => [`p${k}`, i * 10 + k])),
      );
      expect(await run.getMetrics()).toEqual(
        Object.fromEntries([0, 1, 2, 3, 4].map((k) => [`m${k}`, k / 10])),
      );
      expect((await run.getExecutions()).map((e) => e.displayName)).toEqual([name]);
      expect((await run.getClassificationMetrics()).map((c) => c.displayName)).toEqual([name]);
      expect((await run.getLoggedPipelineJobs()).map((j) => j.displayName)).toEqual([name]);
    }
    // No duplicate created behind a retried call.
    const artifacts = await Artifact.list({ backend, schemaTitle: "google.ClassificationMetrics" });
    expect(artifacts).toHaveLength(names.length);
    expect((await Experiment.get("faulty", { backend })).description).toBe("under fire");
  });

  it("time series written and read under faults come back complete", async () => {
    const tensorboard = await createTensorboard(fake);
    const run = await ExperimentRun.create("curves", { experiment: "faulty", backend, tensorboard });
    // The time-series calls fail more often here, so that every kind of them is retried.
    const methods = [
      "WriteTensorboardRunData",
      "BatchCreateTensorboardTimeSeries",
      "ListTensorboardTimeSeries",
      "ExportTensorboardTimeSeriesData",
      "BatchReadTensorboardTimeSeriesData",
    ];
    fake.resetRpcCounts();
    fake.injectFailures({ rate: 0.4, seed: 12, methods });
    try {
      for (let step = 1; step <= 12_000; step++) {
        await run.logTimeSeriesMetrics({ loss: 1 / step, acc: step % 7 }, { wallTime: step });
      }
      await run.endRun();
      const rows = await run.getTimeSeriesDataFrame();
      expect(rows).toHaveLength(12_000);
      expect(rows.every((r, i) => r.step === i + 1 && r.loss === 1 / (i + 1) && r.acc === (i + 1) % 7)).toBe(
        true,
      );
      const latest = await latestSeriesPoints(backend, { experiment: "faulty", run: "curves" });
      expect(latest.loss?.step).toBe(12_000);
      // 24,000 points need 5 writes; more calls means failed ones were retried.
      expect(fake.rpcCounts().WriteTensorboardRunData).toBeGreaterThan(5);
    } finally {
      fake.injectFailures(null);
    }
    expect(fake.store.listTensorboardTimeSeries(run.tensorboardRun!)).toHaveLength(2);
  });

  it("a call that keeps failing past the retry budget is a BackendError naming the RPC, with no credentials", async () => {
    const strict = backendOn(fake, { retry: { maxAttempts: 2, initialDelayMs: 1 } });
    fake.injectFailures({ rate: 1, methods: ["GetContext"] });
    try {
      const error = await strict.getExperiment("faulty").then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe("BACKEND");
      expect(error?.message).toMatch(
        /^\[exprun\] \[vertex\] GetContext \(experiment\) failed: (UNAVAILABLE|RESOURCE_EXHAUSTED)/,
      );
    } finally {
      fake.injectFailures(null);
      await strict.close?.();
    }
  });
});
