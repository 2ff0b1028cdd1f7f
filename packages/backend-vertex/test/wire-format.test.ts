import { Artifact, Execution, Experiment, ExperimentRun, PipelineJob } from "@exprun/core";
import { fromStruct, startVertexFake, type VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, LOCATION, lazyFake, PROJECT } from "./fake.js";

// What a TypeScript run leaves in the store, field by field, against VERTEX.md §0–5.

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
const MS = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
});
afterAll(async () => {
  await backend?.close?.();
  await fakeHandle.close();
});

describe("metadata written as the Python SDK writes it", () => {
  it("the experiment is a system.Experiment context with description and experiment_deleted (§1.3)", async () => {
    await Experiment.create("wire-exp", { backend, description: "lr sweep" });
    const context = fake.store.getContext(`${MS}/contexts/wire-exp`)!;
    expect(context.name).toMatch(
      /^projects\/\d+\/locations\/us-central1\/metadataStores\/default\/contexts\/wire-exp$/,
    );
    expect(context.displayName).toBe("wire-exp");
    expect(context.schemaTitle).toBe("system.Experiment");
    expect(context.schemaVersion).toBe("0.0.1");
    expect(context.description).toBe("lr sweep");
    expect(context.metadata?.fields.experiment_deleted).toEqual({ boolValue: false });
    expect(fromStruct(context.metadata)).toEqual({ experiment_deleted: false });
    expect(fake.store.getMetadataStore(MS)).toBeDefined();
  });

  it("the run is a system.ExperimentRun context {E}-{R}, a child of the experiment (§1.4, §2)", async () => {
    const run = await ExperimentRun.create("wire-run", { experiment: "wire-exp", backend });
    await run.logParams({ lr: 0.1, epochs: 10, optimizer: "adam", shuffle: true });
    await run.logMetrics({ accuracy: 0.9 });
    await run.logParams({ lr: 0.2 });
    await run.updateState("COMPLETE");
    const context = fake.store.getContext(`${MS}/contexts/wire-exp-wire-run`)!;
    expect(context.displayName).toBe("wire-run");
    expect(context.schemaTitle).toBe("system.ExperimentRun");
    expect(context.schemaVersion).toBe("0.0.1");
    expect(context.description).toBe("");
    expect(context.labels).toEqual({});
    expect(Object.keys(context.metadata!.fields).sort()).toEqual(["_metrics", "_params", "_state"]);
    const params = context.metadata!.fields._params!.structValue!.fields;
    expect(params.lr).toEqual({ numberValue: 0.2 });
    expect(params.epochs).toEqual({ numberValue: 10 });
    expect(params.optimizer).toEqual({ stringValue: "adam" });
    expect(params.shuffle).toEqual({ boolValue: true });
    expect(fromStruct(context.metadata)).toEqual({
      _params: { lr: 0.2, epochs: 10, optimizer: "adam", shuffle: true },
      _metrics: { accuracy: 0.9 },
      _state: "COMPLETE",
    });
    expect(context.parentContexts).toEqual([fake.store.canonical(`${MS}/contexts/wire-exp`)]);
  });

  it("a new run starts with empty _params and _metrics and its state name", async () => {
    await ExperimentRun.create("fresh", { experiment: "wire-exp", backend, state: "NEW" });
    const context = fake.store.getContext(`${MS}/contexts/wire-exp-fresh`)!;
    expect(fromStruct(context.metadata)).toEqual({ _params: {}, _metrics: {}, _state: "NEW" });
  });

  it("classification metrics are a google.ClassificationMetrics artifact attributed to the run (§3.1)", async () => {
    const run = await ExperimentRun.get("wire-run", { experiment: "wire-exp", backend });
    const logged = await run.logClassificationMetrics({
      labels: ["cat", "dog"],
      matrix: [
        [9, 1],
        [2, 8],
      ],
      fpr: [0.1, 0.5],
      tpr: [0.6, 0.9],
      threshold: [0.9, 0.5],
      displayName: "cm",
    });
    expect(logged.id).toMatch(/^[0-9a-f-]{8,}$/);
    const artifact = fake.store.getArtifact(`${MS}/artifacts/${logged.id}`)!;
    expect(artifact.schemaTitle).toBe("google.ClassificationMetrics");
    expect(artifact.schemaVersion).toBe("0.0.1");
    expect(artifact.state).toBe("LIVE");
    expect(artifact.displayName).toBe("cm");
    expect(artifact.uri).toBe("");
    expect(fromStruct(artifact.metadata)).toEqual({
      confusionMatrix: {
        annotationSpecs: [{ displayName: "cat" }, { displayName: "dog" }],
        rows: [
          [9, 1],
          [2, 8],
        ],
      },
      confidenceMetrics: [
        { confidenceThreshold: 0.9, recall: 0.6, falsePositiveRate: 0.1 },
        { confidenceThreshold: 0.5, recall: 0.9, falsePositiveRate: 0.5 },
      ],
    });
    expect(fake.store.contextArtifacts(`${MS}/contexts/wire-exp-wire-run`)).toContain(artifact.name);
    expect(fake.store.listExecutions(MS)).toEqual([]);
  });

  it("an associated execution is attributed to the run context (§5)", async () => {
    const run = await ExperimentRun.get("wire-run", { experiment: "wire-exp", backend });
    const execution = await Execution.create({
      backend,
      schemaTitle: "system.ContainerExecution",
      displayName: "train",
    });
    await run.associateExecution(execution);
    expect(fake.store.contextExecutions(`${MS}/contexts/wire-exp-wire-run`)).toEqual([
      fake.store.canonical(`${MS}/executions/${execution.id}`),
    ]);
  });

  it("a pipeline job is a system.PipelineRun child context of the run (§5)", async () => {
    const run = await ExperimentRun.get("wire-run", { experiment: "wire-exp", backend });
    const job = new PipelineJob({
      resourceName: `projects/${PROJECT}/locations/${LOCATION}/pipelineJobs/nightly-123`,
      displayName: "nightly",
    });
    await run.log({ pipelineJob: job });
    const child = fake.store.getContext(`${MS}/contexts/nightly-123`)!;
    expect(child.schemaTitle).toBe("system.PipelineRun");
    expect(child.parentContexts).toEqual([fake.store.canonical(`${MS}/contexts/wire-exp-wire-run`)]);
    expect((await run.getLoggedPipelineJobs()).map((j) => j.resourceName)).toEqual([job.resourceName]);
  });

  it("a generic artifact or execution without a schema version is sent with none, as Python's create sends it", async () => {
    // Python's Artifact.create / Execution.create pass schema_version=None: the proto field stays "".
    const artifact = await Artifact.create({ backend, schemaTitle: "system.Dataset", uri: "gs://b/d" });
    const execution = await Execution.create({ backend, schemaTitle: "system.ContainerExecution" });
    expect(fake.store.getArtifact(`${MS}/artifacts/${artifact.id}`)!.schemaVersion).toBe("");
    expect(fake.store.getExecution(`${MS}/executions/${execution.id}`)!.schemaVersion).toBe("");
    expect(artifact.schemaVersion).toBe("");
    expect((await Execution.get(execution.id, { backend })).schemaVersion).toBe("");
  });

  it("a schema version the caller gives is written as given", async () => {
    const artifact = await Artifact.create({ backend, schemaTitle: "system.Model", schemaVersion: "0.0.2" });
    const execution = await Execution.create({ backend, schemaTitle: "system.Run", schemaVersion: "1.2.3" });
    expect(fake.store.getArtifact(`${MS}/artifacts/${artifact.id}`)!.schemaVersion).toBe("0.0.2");
    expect(fake.store.getExecution(`${MS}/executions/${execution.id}`)!.schemaVersion).toBe("1.2.3");
  });

  it("runs are found with Python's filter on parent_contexts (§6.1)", async () => {
    const experiment = fake.store.canonical(`${MS}/contexts/wire-exp`);
    const runs = fake.store
      .listContexts(MS)
      .filter((c) => c.schemaTitle === "system.ExperimentRun" && c.parentContexts.includes(experiment));
    expect(runs.map((c) => c.displayName).sort()).toEqual(["fresh", "wire-run"]);
  });
});

describe("the default metadata store", () => {
  it("is created on first experiment creation when the project has none, as Python does (§1.2)", async () => {
    const bare = await startVertexFake({ autoCreateDefaultStore: false });
    const local = backendOn(bare);
    try {
      expect(bare.store.getMetadataStore(MS)).toBeUndefined();
      await Experiment.create("first-exp", { backend: local });
      expect(bare.store.getMetadataStore(MS)).toBeDefined();
      expect(bare.rpcCounts().CreateMetadataStore).toBe(1);
      await Experiment.create("second-exp", { backend: local });
      expect(bare.rpcCounts().CreateMetadataStore).toBe(1);
    } finally {
      await local.close?.();
      await bare.close();
    }
  });
});
