import { Experiment, ExperimentRun } from "@exprun/core";
import { fromStruct, toStruct, type VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, LOCATION, lazyFake, PROJECT } from "./fake.js";

// Resources seeded exactly as the Python SDK leaves them (VERTEX.md §1–3, §1.6), read through exprun.

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
const MS = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;
const E = "py-exp";

function seedPythonExperiment(): void {
  fake.store.putMetadataStore({ name: MS });
  // HEAD writes null when the backing TensorBoard was deleted (§1.3).
  fake.store.putContext({
    name: `${MS}/contexts/${E}`,
    displayName: E,
    schemaTitle: "system.Experiment",
    schemaVersion: "0.0.1",
    description: "from python",
    metadata: {
      fields: {
        experiment_deleted: { boolValue: false },
        backing_tensorboard_resource: { nullValue: "NULL_VALUE" },
      },
    },
  });
  // Ints were sent as Python ints and stored as doubles: 10 → 10.0 (§2.3).
  fake.store.putContext({
    name: `${MS}/contexts/${E}-py-run`,
    displayName: "py-run",
    schemaTitle: "system.ExperimentRun",
    schemaVersion: "0.0.1",
    metadata: toStruct({
      _params: { epochs: 10, lr: 0.01, optimizer: "sgd", use_bias: true },
      _metrics: { accuracy: 0.875, loss: 1 },
      _state: "COMPLETE",
    }),
  });
  fake.store.addContextChildren(`${MS}/contexts/${E}`, [`${MS}/contexts/${E}-py-run`]);
  fake.store.putArtifact({
    name: `${MS}/artifacts/e6c893a4-222e-4c60-a028-6a3b95dfc109`,
    displayName: "eval",
    schemaTitle: "google.ClassificationMetrics",
    schemaVersion: "0.0.1",
    state: "LIVE",
    metadata: toStruct({
      confusionMatrix: {
        annotationSpecs: [{ displayName: "a" }, { displayName: "b" }],
        rows: [
          [3, 1],
          [0, 4],
        ],
      },
      confidenceMetrics: [
        { confidenceThreshold: 0.8, recall: 0.5, falsePositiveRate: 0.1 },
        { confidenceThreshold: 0.2, recall: 1, falsePositiveRate: 0.6 },
      ],
    }),
  });
  fake.store.addContextArtifactsAndExecutions(
    `${MS}/contexts/${E}-py-run`,
    [`${MS}/artifacts/e6c893a4-222e-4c60-a028-6a3b95dfc109`],
    [],
  );
  // A legacy "Experiments preview" run: an Execution plus a -metrics artifact (§1.6).
  fake.store.putExecution({
    name: `${MS}/executions/${E}-old-run`,
    displayName: "old-run",
    schemaTitle: "system.Run",
    schemaVersion: "0.0.1",
    state: "COMPLETE",
    metadata: toStruct({ batch_size: 32, lr: 0.1 }),
  });
  fake.store.putArtifact({
    name: `${MS}/artifacts/${E}-old-run-metrics`,
    schemaTitle: "system.Metrics",
    schemaVersion: "0.0.1",
    state: "LIVE",
    metadata: toStruct({ accuracy: 0.7 }),
  });
  fake.store.addContextArtifactsAndExecutions(`${MS}/contexts/${E}`, [], [`${MS}/executions/${E}-old-run`]);
  // A TensorBoard-experiment context made by a CustomJob: not a Vertex experiment (§1.3).
  fake.store.putContext({
    name: `${MS}/contexts/custom-job-tb`,
    displayName: "custom-job-tb",
    schemaTitle: "system.Experiment",
    schemaVersion: "0.0.1",
    metadata: toStruct({ tensorboard_link: "https://example/tb" }),
  });
}

const TB = `projects/${PROJECT}/locations/${LOCATION}/tensorboards/777`;
const TB_RUN = `${TB}/experiments/py-tb-exp/runs/curves`;
const POINTS = 1500;

/** A run with time series, as Python leaves it: TensorBoard resources plus the -tb-run reference (§4). */
function seedPythonTimeSeries(): void {
  fake.store.putTensorboard({ name: TB, displayName: "Default Tensorboard 2024-01-01T00:00:00" });
  fake.store.putContext({
    name: `${MS}/contexts/py-tb-exp`,
    displayName: "py-tb-exp",
    schemaTitle: "system.Experiment",
    schemaVersion: "0.0.1",
    metadata: toStruct({ experiment_deleted: false, backing_tensorboard_resource: fake.store.canonical(TB) }),
  });
  fake.store.putContext({
    name: `${MS}/contexts/py-tb-exp-curves`,
    displayName: "curves",
    schemaTitle: "system.ExperimentRun",
    schemaVersion: "0.0.1",
    metadata: toStruct({ _params: {}, _metrics: {}, _state: "RUNNING" }),
  });
  fake.store.addContextChildren(`${MS}/contexts/py-tb-exp`, [`${MS}/contexts/py-tb-exp-curves`]);
  // v1.19–v1.54 display name and no label (§4.1).
  fake.store.putTensorboardExperiment({
    name: `${TB}/experiments/py-tb-exp`,
    displayName: "py-tb-exp Backing Tensorboard Experiment",
  });
  fake.store.putTensorboardRun({ name: TB_RUN, displayName: "curves" });
  const series = fake.store.putTensorboardTimeSeries({
    name: `${TB_RUN}/timeSeries/4718592`,
    displayName: "loss",
    valueType: "SCALAR",
    pluginName: "scalars",
  });
  fake.store.putTensorboardPoints(
    series.name,
    Array.from({ length: POINTS }, (_, i) => ({
      step: i + 1,
      wallTime: { seconds: 1_700_000_000 + i, nanos: 0 },
      scalar: { value: 1 / (i + 1) },
    })),
  );
  fake.store.putArtifact({
    name: `${MS}/artifacts/py-tb-exp-curves-tb-run`,
    uri: `https://${LOCATION}-aiplatform.googleapis.com/v1/${fake.store.canonical(TB_RUN)}`,
    schemaTitle: "google.VertexTensorboardRun",
    schemaVersion: "0.0.1",
    state: "LIVE",
    metadata: toStruct({ resourceName: fake.store.canonical(TB_RUN), vertex_experiment_tracking: true }),
  });
  fake.store.addContextArtifactsAndExecutions(
    `${MS}/contexts/py-tb-exp-curves`,
    [`${MS}/artifacts/py-tb-exp-curves-tb-run`],
    [],
  );
}

beforeAll(async () => {
  fake = await fakeHandle.get();
  seedPythonExperiment();
  seedPythonTimeSeries();
  backend = backendOn(fake);
});
afterAll(async () => {
  await backend?.close?.();
  await fakeHandle.close();
});

describe("runs Python wrote read back in TypeScript", () => {
  it("an experiment with a null backing TensorBoard reads as having none", async () => {
    const experiment = await Experiment.get(E, { backend });
    expect(experiment.description).toBe("from python");
    expect(experiment.backingTensorboard).toBeUndefined();
  });

  it("TensorBoard-experiment contexts are not listed as experiments", async () => {
    const names = (await Experiment.list({ backend })).map((e) => e.name);
    expect(names).toContain(E);
    expect(names).not.toContain("custom-job-tb");
  });

  it("params and metrics stored as doubles read back as numbers, booleans as booleans", async () => {
    const run = await ExperimentRun.get("py-run", { experiment: E, backend });
    expect(run.state).toBe("COMPLETE");
    expect(await run.getParams()).toEqual({ epochs: 10, lr: 0.01, optimizer: "sgd", use_bias: true });
    expect(await run.getMetrics()).toEqual({ accuracy: 0.875, loss: 1 });
    expect(run.tensorboardRun).toBeUndefined();
  });

  it("Python's classification metrics read back with thresholds", async () => {
    const run = await ExperimentRun.get("py-run", { experiment: E, backend });
    expect(await run.getClassificationMetrics()).toEqual([
      {
        id: "e6c893a4-222e-4c60-a028-6a3b95dfc109",
        displayName: "eval",
        labels: ["a", "b"],
        matrix: [
          [3, 1],
          [0, 4],
        ],
        fpr: [0.1, 0.6],
        tpr: [0.5, 1],
        thresholds: [0.8, 0.2],
      },
    ]);
  });

  it("legacy system.Run executions are listed, with params from the execution and metrics from -metrics", async () => {
    const runs = await ExperimentRun.list({ experiment: E, backend });
    expect(runs.map((r) => r.name)).toEqual(["py-run", "old-run"]);
    const legacy = await ExperimentRun.get("old-run", { experiment: E, backend });
    expect(legacy.state).toBe("COMPLETE");
    expect(await legacy.getParams()).toEqual({ batch_size: 32, lr: 0.1 });
    expect(await legacy.getMetrics()).toEqual({ accuracy: 0.7 });
  });

  it("a legacy run takes params, metrics and state as Python's SDK writes them to it", async () => {
    fake.store.putExecution({
      name: `${MS}/executions/${E}-old-run-2`,
      displayName: "old-run-2",
      schemaTitle: "system.Run",
      schemaVersion: "0.0.1",
      state: "RUNNING",
      metadata: toStruct({ lr: 0.5 }),
    });
    const run = await ExperimentRun.get("old-run-2", { experiment: E, backend });
    await run.logParams({ momentum: 0.9 });
    await run.logMetrics({ accuracy: 0.8 });
    await run.endRun();
    expect(fromStruct(fake.store.getExecution(`${MS}/executions/${E}-old-run-2`)!.metadata)).toEqual({
      lr: 0.5,
      momentum: 0.9,
    });
    expect(fake.store.getExecution(`${MS}/executions/${E}-old-run-2`)!.state).toBe("COMPLETE");
    const metrics = fake.store.getArtifact(`${MS}/artifacts/${E}-old-run-2-metrics`)!;
    expect(metrics.schemaTitle).toBe("system.Metrics");
    expect(fromStruct(metrics.metadata)).toEqual({ accuracy: 0.8 });
    await run.delete();
    expect(fake.store.getExecution(`${MS}/executions/${E}-old-run-2`)).toBeUndefined();
    expect(fake.store.getArtifact(`${MS}/artifacts/${E}-old-run-2-metrics`)).toBeUndefined();
  });

  it("the experiment DataFrame has one row per run, legacy ones typed system.Run", async () => {
    const rows = await (await Experiment.get(E, { backend })).getDataFrame({ includeTimeSeries: false });
    expect(rows).toEqual([
      {
        experiment_name: E,
        run_name: "py-run",
        run_type: "system.ExperimentRun",
        state: "COMPLETE",
        "param.epochs": 10,
        "param.lr": 0.01,
        "param.optimizer": "sgd",
        "param.use_bias": true,
        "param.batch_size": null,
        "metric.accuracy": 0.875,
        "metric.loss": 1,
      },
      {
        experiment_name: E,
        run_name: "old-run",
        run_type: "system.Run",
        state: "COMPLETE",
        "param.epochs": null,
        "param.lr": 0.1,
        "param.optimizer": null,
        "param.use_bias": null,
        "param.batch_size": 32,
        "metric.accuracy": 0.7,
        "metric.loss": null,
      },
    ]);
  });

  it("reading writes nothing", async () => {
    fake.resetRpcCounts();
    await (await Experiment.get(E, { backend })).getDataFrame();
    await ExperimentRun.list({ experiment: E, backend });
    const writes = Object.keys(fake.rpcCounts()).filter(
      (m) => !/^(Get|List|Query|BatchRead|Read|Export)/.test(m),
    );
    expect(writes).toEqual([]);
  });
});

describe("time series Python wrote read back in TypeScript", () => {
  it("the run's TensorBoard run comes from its -tb-run artifact", async () => {
    const run = await ExperimentRun.get("curves", { experiment: "py-tb-exp", backend });
    expect(run.tensorboardRun).toBe(fake.store.canonical(TB_RUN));
  });

  it("all 1,500 points read back, unsampled, in step order", async () => {
    const run = await ExperimentRun.get("curves", { experiment: "py-tb-exp", backend });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows).toHaveLength(POINTS);
    expect(rows[0]).toEqual({ step: 1, wall_time: new Date(1_700_000_000_000), loss: 1 });
    expect(rows[POINTS - 1]).toEqual({
      step: POINTS,
      wall_time: new Date((1_700_000_000 + POINTS - 1) * 1000),
      loss: 1 / POINTS,
    });
  });

  it("the DataFrame's latest value is the last step's, past BatchRead's 1,000-point sample", async () => {
    const [row] = await (await Experiment.get("py-tb-exp", { backend })).getDataFrame();
    expect(row!["time_series_metric.loss"]).toBe(1 / POINTS);
  });

  it("logging on continues at max_step + 1 in Python's series, without creating another", async () => {
    const run = await ExperimentRun.get("curves", { experiment: "py-tb-exp", backend });
    await run.logTimeSeriesMetrics({ loss: 0.0001 });
    await run.flush();
    const series = fake.store.listTensorboardTimeSeries(TB_RUN);
    expect(series.map((s) => s.displayName)).toEqual(["loss"]);
    const points = fake.store.tensorboardPoints(series[0]!.name);
    expect(points.at(-1)).toMatchObject({ step: POINTS + 1, scalar: { value: 0.0001 } });
  });
});
