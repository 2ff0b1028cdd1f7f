import { Experiment, ExperimentRun, endRun, init, startRun } from "@exprun/core";
import type { VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, LOCATION, lazyFake, PROJECT } from "./fake.js";

// Issue 13.6: RPCs that need not happen, counted on the fake.

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
let tensorboard: string;
const MS = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
  tensorboard = await createTensorboard(fake);
});
afterAll(async () => {
  await backend?.close?.();
  await fakeHandle.close();
});

describe("ExperimentRun.list", () => {
  it("is one run listing and one legacy listing: the experiment is not read first", async () => {
    await Experiment.create("list-exp", { backend });
    for (const name of ["a", "b"]) await ExperimentRun.create(name, { experiment: "list-exp", backend });
    fake.resetRpcCounts();
    const runs = await ExperimentRun.list({ experiment: "list-exp", backend });
    expect(runs.map((r) => r.name)).toEqual(["a", "b"]);
    expect(fake.rpcCounts()).toEqual({ ListContexts: 1, ListExecutions: 1 });
  });

  it("reads the experiment only to tell an empty experiment from a missing one", async () => {
    await Experiment.create("empty-exp", { backend });
    fake.resetRpcCounts();
    expect(await ExperimentRun.list({ experiment: "empty-exp", backend })).toEqual([]);
    expect(fake.rpcCounts()).toEqual({ ListContexts: 1, GetContext: 1, ListExecutions: 1 });
    await expect(ExperimentRun.list({ experiment: "no-such-exp", backend })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("startRun with init({ experimentTensorboard })", () => {
  it("reads the experiment once and makes each TensorBoard resource with one RPC", async () => {
    const other = backendOn(fake);
    try {
      await Experiment.create("tb-exp", { backend: other, backingTensorboard: tensorboard });
      init({ experiment: "tb-exp", backend: other, experimentTensorboard: tensorboard });
      await startRun("first");
      await endRun();
      // A fresh process: the TensorBoard experiment exists and the experiment is not known yet.
      const fresh = backendOn(fake);
      try {
        init({ experiment: "tb-exp", backend: fresh, experimentTensorboard: tensorboard });
        fake.resetRpcCounts();
        const run = await startRun("second");
        expect(run.tensorboardRun).toMatch(/\/experiments\/tb-exp\/runs\/second$/);
        expect(fake.rpcCounts()).toEqual({
          GetContext: 1, // the experiment, read by get-or-create; createRun trusts that read
          CreateContext: 1,
          AddContextChildren: 1,
          CreateTensorboardExperiment: 1, // ALREADY_EXISTS: reused without a GET
          CreateTensorboardRun: 1,
          CreateArtifact: 1,
          AddContextArtifactsAndExecutions: 1,
        });
        // The same process again: the TensorBoard experiment is known to exist.
        fake.resetRpcCounts();
        await endRun();
        await startRun("third");
        const counts = fake.rpcCounts();
        expect(counts.GetContext).toBe(1);
        expect(counts.CreateTensorboardExperiment).toBeUndefined();
        expect(counts.GetTensorboardExperiment).toBeUndefined();
        await endRun();
      } finally {
        await fresh.close?.();
      }
    } finally {
      init({ experiment: undefined, backend: undefined, experimentTensorboard: undefined });
      await other.close?.();
    }
  });

  it("a TensorBoard experiment deleted since this process made one is made again", async () => {
    await Experiment.create("tb-gone", { backend, backingTensorboard: tensorboard });
    await ExperimentRun.create("before", { experiment: "tb-gone", backend });
    expect(fake.store.deleteTensorboardExperiment(`${tensorboard}/experiments/tb-gone`)).toBe(true);
    const run = await ExperimentRun.create("after", { experiment: "tb-gone", backend });
    expect(fake.store.getTensorboardRun(run.tensorboardRun!)).toBeDefined();
    expect(fake.store.getTensorboardExperiment(`${tensorboard}/experiments/tb-gone`)?.labels).toEqual({
      vertex_tensorboard_experiment_source: "vertex_experiment",
    });
  });

  it("an experiment deleted since this process read it: NOT_FOUND, and no orphan run context", async () => {
    await Experiment.create("exp-gone", { backend });
    const experiment = await Experiment.get("exp-gone", { backend });
    const elsewhere = backendOn(fake);
    try {
      await (await Experiment.get("exp-gone", { backend: elsewhere })).delete();
    } finally {
      await elsewhere.close?.();
    }
    await expect(ExperimentRun.create("orphan", { experiment, backend })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringMatching(/Experiment "exp-gone" was not found/),
    });
    expect(fake.store.getContext(`${MS}/contexts/exp-gone-orphan`)).toBeUndefined();
  });
});

describe("the first implicit step of a run create() just made", () => {
  it("is 1 without asking the store for the latest step", async () => {
    await Experiment.create("step-exp", { backend, backingTensorboard: tensorboard });
    const run = await ExperimentRun.create("new-run", { experiment: "step-exp", backend });
    fake.resetRpcCounts();
    await run.logTimeSeriesMetrics({ loss: 0.5 });
    await run.logTimeSeriesMetrics({ loss: 0.25 });
    await run.flush();
    expect(fake.rpcCounts()).toEqual({
      GetContext: 1, // the run is checked to be this creation before its first write (incarnations)
      BatchCreateTensorboardTimeSeries: 1,
      WriteTensorboardRunData: 1,
    });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows.map((r) => [r.step, r.loss])).toEqual([
      [1, 0.5],
      [2, 0.25],
    ]);
  });

  it("a run read back with get() still asks the store, and continues after its largest step", async () => {
    const run = await ExperimentRun.get("new-run", { experiment: "step-exp", backend });
    await run.logTimeSeriesMetrics({ loss: 0.125 });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
  });
});
