import { Experiment, ExperimentRun } from "@exprun/core";
import { fromStruct, type VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, createTensorboard, LOCATION, lazyFake, PROJECT } from "./fake.js";

// The TensorBoard half of what a TypeScript run leaves behind, against VERTEX.md §4.

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
let tensorboard: string;
const MS = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
  tensorboard = await createTensorboard(fake);
  await Experiment.create("tb-exp", { backend, backingTensorboard: tensorboard });
  const run = await ExperimentRun.create("tb-run", { experiment: "tb-exp", backend });
  await run.logTimeSeriesMetrics(
    { loss: 0.5, acc: 0.25 },
    { step: 0, wallTime: Date.UTC(2024, 0, 1, 0, 0, 0, 7) },
  );
  await run.logTimeSeriesMetrics({ loss: 0.25 }, { step: 1, wallTime: Date.UTC(2024, 0, 1, 0, 0, 1) });
  await run.endRun();
});
afterAll(async () => {
  await backend?.close?.();
  await fakeHandle.close();
});

describe("TensorBoard resources written as the Python SDK writes them", () => {
  it("the experiment context names its backing TensorBoard (§1.3)", () => {
    const context = fake.store.getContext(`${MS}/contexts/tb-exp`)!;
    expect(fromStruct(context.metadata)).toEqual({
      experiment_deleted: false,
      backing_tensorboard_resource: tensorboard,
    });
  });

  it("TensorBoard experiment {E} with Python's display name and label, TensorBoard run {R} (§4.1)", () => {
    const experiment = fake.store.getTensorboardExperiment(`${tensorboard}/experiments/tb-exp`)!;
    expect(experiment.displayName).toBe("tb-exp");
    expect(experiment.labels).toEqual({ vertex_tensorboard_experiment_source: "vertex_experiment" });
    expect(experiment.description).toBe("");
    const run = fake.store.getTensorboardRun(`${tensorboard}/experiments/tb-exp/runs/tb-run`)!;
    expect(run.displayName).toBe("tb-run");
    expect(run.labels).toEqual({});
  });

  it("the {E}-{R}-tb-run reference artifact points at the TensorBoard run and is attributed to the run (§4.1)", () => {
    const tbRun = fake.store.canonical(`${tensorboard}/experiments/tb-exp/runs/tb-run`);
    const artifact = fake.store.getArtifact(`${MS}/artifacts/tb-exp-tb-run-tb-run`)!;
    expect(artifact.schemaTitle).toBe("google.VertexTensorboardRun");
    expect(artifact.schemaVersion).toBe("0.0.1");
    expect(artifact.state).toBe("LIVE");
    expect(artifact.uri).toBe(`https://127.0.0.1/v1/${tbRun}`);
    expect(fromStruct(artifact.metadata)).toEqual({ resourceName: tbRun, vertex_experiment_tracking: true });
    expect(fake.store.contextArtifacts(`${MS}/contexts/tb-exp-tb-run`)).toEqual([artifact.name]);
  });

  it("one scalar series per metric, plugin 'scalars', display name = metric; step 0 kept (§4.2)", () => {
    const series = fake.store.listTensorboardTimeSeries(`${tensorboard}/experiments/tb-exp/runs/tb-run`);
    expect(series.map((s) => s.displayName).sort()).toEqual(["acc", "loss"]);
    for (const s of series) {
      expect(s.valueType).toBe("SCALAR");
      expect(s.pluginName).toBe("scalars");
      expect(s.name).toMatch(/\/timeSeries\/[a-z0-9][a-z0-9-]*$/);
    }
    const loss = series.find((s) => s.displayName === "loss")!;
    const points = fake.store.tensorboardPoints(loss.name);
    expect(points.map((p) => [p.step, p.scalar?.value])).toEqual([
      [0, 0.5],
      [1, 0.25],
    ]);
    expect(Number(points[0]!.wallTime?.seconds)).toBe(Date.UTC(2024, 0, 1) / 1000);
    expect(points[0]!.wallTime?.nanos).toBe(7_000_000);
  });

  it("the run's TensorBoard run is read back from the reference artifact", async () => {
    const run = await ExperimentRun.get("tb-run", { experiment: "tb-exp", backend });
    expect(run.tensorboardRun).toBe(fake.store.canonical(`${tensorboard}/experiments/tb-exp/runs/tb-run`));
  });

  it("deleting a run with its TensorBoard run removes the run, the TensorBoard run and the reference (§6.2)", async () => {
    const run = await ExperimentRun.create("doomed", { experiment: "tb-exp", backend });
    await run.logTimeSeriesMetrics({ x: 1 }, { step: 1 });
    await run.delete({ deleteBackingTensorboardRun: true });
    expect(fake.store.getContext(`${MS}/contexts/tb-exp-doomed`)).toBeUndefined();
    expect(fake.store.getArtifact(`${MS}/artifacts/tb-exp-doomed-tb-run`)).toBeUndefined();
    expect(fake.store.getTensorboardRun(`${tensorboard}/experiments/tb-exp/runs/doomed`)).toBeUndefined();
  });

  it("deleting a run without its TensorBoard run keeps the TensorBoard run but drops the reference", async () => {
    const run = await ExperimentRun.create("kept-tb", { experiment: "tb-exp", backend });
    await run.logTimeSeriesMetrics({ x: 1 }, { step: 1 });
    await run.delete();
    expect(fake.store.getArtifact(`${MS}/artifacts/tb-exp-kept-tb-tb-run`)).toBeUndefined();
    expect(fake.store.getTensorboardRun(`${tensorboard}/experiments/tb-exp/runs/kept-tb`)).toBeDefined();
    // The name is free again. Python would hand the kept TensorBoard run (and its points) to the new
    // run; a run created again is a new run, so it gets a TensorBoard run of its own, still displayed
    // as "kept-tb" and found by Python through the reference artifact.
    const again = await ExperimentRun.create("kept-tb", { experiment: "tb-exp", backend });
    expect(again.tensorboardRun).toMatch(/\/experiments\/tb-exp\/runs\/kept-tb-i[0-9a-f]{8}$/);
    expect(fake.store.getTensorboardRun(again.tensorboardRun!)?.displayName).toBe("kept-tb");
    const reference = fromStruct(fake.store.getArtifact(`${MS}/artifacts/tb-exp-kept-tb-tb-run`)!.metadata);
    expect(reference.resourceName).toBe(again.tensorboardRun);
    expect(await again.getTimeSeriesDataFrame()).toEqual([]);
    expect(fake.store.getTensorboardRun(`${tensorboard}/experiments/tb-exp/runs/kept-tb`)).toBeDefined();
  });

  it("deleting an experiment with its TensorBoard runs leaves neither contexts nor TensorBoard runs (§6.3)", async () => {
    await Experiment.create("gone-exp", { backend, backingTensorboard: tensorboard });
    for (const name of ["one", "two"]) {
      const run = await ExperimentRun.create(name, { experiment: "gone-exp", backend });
      await run.logTimeSeriesMetrics({ x: 1 }, { step: 1 });
    }
    await backend.flush?.();
    await (await Experiment.get("gone-exp", { backend })).delete({ deleteBackingTensorboardRuns: true });
    expect(fake.store.getContext(`${MS}/contexts/gone-exp`)).toBeUndefined();
    for (const name of ["one", "two"]) {
      expect(fake.store.getContext(`${MS}/contexts/gone-exp-${name}`)).toBeUndefined();
      expect(fake.store.getArtifact(`${MS}/artifacts/gone-exp-${name}-tb-run`)).toBeUndefined();
      expect(
        fake.store.getTensorboardRun(`${tensorboard}/experiments/gone-exp/runs/${name}`),
      ).toBeUndefined();
    }
  });

  it("assigning a TensorBoard that does not exist is NOT_FOUND and creates no TensorBoard", async () => {
    await Experiment.create("plain-exp", { backend });
    const run = await ExperimentRun.create("no-tb", { experiment: "plain-exp", backend });
    const missing = `projects/${PROJECT}/locations/${LOCATION}/tensorboards/999999`;
    const error = await run.assignBackingTensorboard(missing).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe("NOT_FOUND");
    expect(error?.message).toMatch(/TensorBoard .*999999 was not found/);
    expect(fake.store.listTensorboards(`projects/${PROJECT}/locations/${LOCATION}`)).toHaveLength(1);
  });
});
