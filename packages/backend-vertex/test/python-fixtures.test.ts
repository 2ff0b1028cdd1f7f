import { Experiment, ExperimentRun } from "@exprun/core";
import { toStruct, type VertexFake } from "@exprun/vertex-fake";
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

beforeAll(async () => {
  fake = await fakeHandle.get();
  seedPythonExperiment();
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
