import { Experiment, ExperimentRun, readSeriesPoints } from "@exprun/core";
import { fromStruct, toStruct, type VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, LOCATION, lazyFake, PROJECT } from "./fake.js";

// A run deleted and created again under its name is a new run (DESIGN.md "Incarnations"). Two
// backends on one fake stand for two processes: "here" holds a run, "there" deletes and re-creates it.

const fakeHandle = lazyFake();
let fake: VertexFake;
let here: VertexBackend;
let there: VertexBackend;
let tensorboard: string;
const MS = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;
const E = "inc-exp";

async function recreateElsewhere(name: string, options: { deleteBackingTensorboardRun?: boolean } = {}) {
  await (await ExperimentRun.get(name, { experiment: E, backend: there })).delete(options);
  return ExperimentRun.create(name, { experiment: E, backend: there });
}

beforeAll(async () => {
  fake = await fakeHandle.get();
  here = backendOn(fake);
  there = backendOn(fake);
  tensorboard = await createTensorboard(fake);
  await Experiment.create(E, { backend: here, backingTensorboard: tensorboard });
});
afterAll(async () => {
  await here?.close?.();
  await there?.close?.();
  await fakeHandle.close();
});

describe("incarnations on Vertex", () => {
  it("are the run context's create time: one per creation, the same on every read, also for Python's runs", async () => {
    const run = await ExperimentRun.create("timed", { experiment: E, backend: here });
    const record = await here.getRun({ experiment: E, run: "timed" });
    const context = fake.store.getContext(`${MS}/contexts/${E}-timed`)!;
    expect(record?.incarnation).toBe(
      `${context.createTime!.seconds}.${String(context.createTime!.nanos).padStart(9, "0")}`,
    );
    expect((await there.listRuns(E)).items.find((r) => r.name === "timed")?.incarnation).toBe(
      record?.incarnation,
    );
    await run.logParams({ lr: 0.1 });
    expect((await here.getRun({ experiment: E, run: "timed" }))?.incarnation).toBe(record?.incarnation);
    // A run written by Python has one too, and Python's whole-context updates keep it.
    fake.store.putContext({
      name: `${MS}/contexts/${E}-from-python`,
      displayName: "from-python",
      schemaTitle: "system.ExperimentRun",
      schemaVersion: "0.0.1",
      metadata: toStruct({ _params: {}, _metrics: {}, _state: "RUNNING" }),
      parentContexts: [`${MS}/contexts/${E}`],
    });
    const python = await ExperimentRun.get("from-python", { experiment: E, backend: here });
    await python.logMetrics({ acc: 1 });
    expect((await here.getRun({ experiment: E, run: "from-python" }))?.incarnation).toBe(
      python.toJSON().incarnation,
    );
    const again = await recreateElsewhere("timed");
    expect(again.toJSON().incarnation).not.toBe(record?.incarnation);
  });

  it("a write to a run re-created elsewhere is NOT_FOUND and leaves the new run untouched", async () => {
    const old = await ExperimentRun.create("rewritten", { experiment: E, backend: here });
    await old.logParams({ before: 1 });
    const fresh = await recreateElsewhere("rewritten");
    fake.resetRpcCounts();
    await expect(old.logParams({ late: 1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The etag of the version this process saw failed, the context was read again: no extra RPC.
    expect(fake.rpcCounts()).toEqual({ UpdateContext: 1, GetContext: 1 });
    await expect(old.updateState("FAILED")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(old.getParams()).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await fresh.getParams()).toEqual({});
    expect(await fresh.getState()).toBe("RUNNING");
    // Deleting through the old handle does not delete the new run.
    await expect(old.delete()).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(fake.store.getContext(`${MS}/contexts/${E}-rewritten`)).toBeDefined();
  });

  it("links to a re-created run's old handle are NOT_FOUND and land nowhere", async () => {
    const old = await ExperimentRun.create("linked", { experiment: E, backend: here });
    await recreateElsewhere("linked");
    await expect(
      old.logClassificationMetrics({
        labels: ["a", "b"],
        matrix: [
          [1, 0],
          [0, 1],
        ],
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(
      fake.store.contextArtifacts(`${MS}/contexts/${E}-linked`).filter((a) => !a.endsWith("-tb-run")),
    ).toEqual([]);
  });

  it("buffered points of a run re-created elsewhere: the flush rejects naming the run, the new run gets none", async () => {
    const old = await ExperimentRun.create("buffered", { experiment: E, backend: here });
    await old.logTimeSeriesMetrics({ loss: 1 }, { step: 1 });
    const fresh = await recreateElsewhere("buffered");
    await old.logTimeSeriesMetrics({ loss: 2 }, { step: 2 });
    await expect(here.flush?.()).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringMatching(
        /Run "buffered" was not found.*deleted.*buffered time-series points were discarded/,
      ),
    });
    expect(await readSeriesPoints(there, fresh.ref)).toEqual([]);
    // The points went with their run: the next flush has nothing left to refuse.
    await expect(here.flush?.()).resolves.toBeUndefined();
    expect(fake.store.listTensorboardTimeSeries(fresh.tensorboardRun!)).toEqual([]);
  });

  it("after a first write, a re-creation with a new TensorBoard run of the same name is caught by the series ids", async () => {
    const old = await ExperimentRun.create("tb-remade", { experiment: E, backend: here });
    await old.logTimeSeriesMetrics({ loss: 1 }, { step: 1 });
    await old.flush();
    // Deleted with its TensorBoard run: the new creation makes TensorBoard run "tb-remade" again.
    const fresh = await recreateElsewhere("tb-remade", { deleteBackingTensorboardRun: true });
    expect(fresh.tensorboardRun).toBe(old.tensorboardRun);
    await fresh.logTimeSeriesMetrics({ loss: 100 }, { step: 1 });
    await fresh.flush();
    await old.logTimeSeriesMetrics({ loss: 2 }, { step: 2 });
    await expect(old.flush()).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await readSeriesPoints(there, fresh.ref)).map((p) => [p.step, p.value])).toEqual([[1, 100]]);
  });

  it("a run re-created over a kept TensorBoard run gets one of its own; a leftover reference is replaced", async () => {
    const old = await ExperimentRun.create("kept", { experiment: E, backend: here });
    await old.logTimeSeriesMetrics({ loss: 1 }, { step: 1 });
    await old.flush();
    // Python's delete() keeps both the TensorBoard run and the `-tb-run` reference artifact.
    expect(fake.store.deleteContext(`${MS}/contexts/${E}-kept`)).toBe(true);
    const fresh = await ExperimentRun.create("kept", { experiment: E, backend: there });
    expect(fresh.tensorboardRun).not.toBe(old.tensorboardRun);
    expect(fresh.tensorboardRun).toMatch(/\/runs\/kept-i[0-9a-f]{8}$/);
    const reference = fake.store.getArtifact(`${MS}/artifacts/${E}-kept-tb-run`)!;
    expect(fromStruct(reference.metadata).resourceName).toBe(fresh.tensorboardRun);
    expect(await fresh.getTimeSeriesDataFrame()).toEqual([]);
    // Python finds the new TensorBoard run through the artifact; the old one still holds its points.
    expect(
      fake.store.tensorboardPoints(fake.store.listTensorboardTimeSeries(old.tensorboardRun!)[0]!.name),
    ).toHaveLength(1);
  });

  it("a read through the old handle does not see the new run's points", async () => {
    const old = await ExperimentRun.create("read-old", { experiment: E, backend: here });
    const fresh = await recreateElsewhere("read-old");
    await fresh.logTimeSeriesMetrics({ loss: 5 }, { step: 1 });
    await fresh.flush();
    await expect(old.getTimeSeriesDataFrame()).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await here.getRun(old.ref)).toBeUndefined();
    await expect(old.getArtifacts()).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(old.getExecutions()).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await fresh.getArtifacts()).toEqual([]);
  });

  it("a close() whose flush fails keeps the points and the clients for a later close()", async () => {
    const closing = backendOn(fake);
    const run = await ExperimentRun.create("closing", { experiment: E, backend: closing });
    await run.logTimeSeriesMetrics({ loss: 1 }, { step: 1 });
    fake.injectFailures({ rate: 1, methods: ["WriteTensorboardRunData"], codes: [3] });
    try {
      await expect(closing.close?.()).rejects.toMatchObject({ code: "BACKEND" });
    } finally {
      fake.injectFailures(null);
    }
    await closing.close?.();
    expect((await readSeriesPoints(here, run.ref)).map((p) => p.value)).toEqual([1]);
  });
});
