import { Experiment, ExperimentRun } from "@exprun/core";
import { fromStruct, toStruct, type VertexFake } from "@exprun/vertex-fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, LOCATION, lazyFake, PROJECT } from "./fake.js";

// Tags are the run context's labels and the note its description (fields Python neither writes nor
// reads, and keeps when it sends a whole context back); copies may create legacy system.Run runs.

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
const MS = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;
const E = "tags-exp";

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
  await Experiment.create(E, { backend });
});
afterAll(async () => {
  await backend?.close?.();
  await fakeHandle.close();
});

describe("tags and the note on Vertex", () => {
  it("are the run context's labels and description, merged by key and replaced", async () => {
    const run = await ExperimentRun.create("tagged", { experiment: E, backend });
    await run.logParams({ lr: 0.1 });
    await run.setTags({ team: "vision", owner: "ana" });
    await run.setTags({ stage: "sweep-2" });
    await run.deleteTags(["owner", "never-set"]);
    await run.setDescription("baseline with warm-up");
    const context = fake.store.getContext(`${MS}/contexts/${E}-tagged`)!;
    expect(context.labels).toEqual({ team: "vision", stage: "sweep-2" });
    expect(context.description).toBe("baseline with warm-up");
    // The Python SDK's keys are untouched.
    expect(fromStruct(context.metadata)).toEqual({ _params: { lr: 0.1 }, _metrics: {}, _state: "RUNNING" });
    const again = await ExperimentRun.get("tagged", { experiment: E, backend });
    expect(await again.getTags()).toEqual({ team: "vision", stage: "sweep-2" });
    expect(again.description).toBe("baseline with warm-up");
  });

  it("an empty note and deleting the last tag clear them (an update mask only then)", async () => {
    const run = await ExperimentRun.create("cleared", { experiment: E, backend });
    await run.setTags({ only: "one" });
    await run.setDescription("temporary");
    await run.deleteTags(["only"]);
    await run.setDescription("");
    const context = fake.store.getContext(`${MS}/contexts/${E}-cleared`)!;
    expect(context.labels).toEqual({});
    expect(context.description).toBe("");
    expect(fromStruct(context.metadata)).toEqual({ _params: {}, _metrics: {}, _state: "RUNNING" });
    expect(context.displayName).toBe("cleared");
    expect(context.schemaTitle).toBe("system.ExperimentRun");
  });

  it("labels a Python run carries read back as tags, and show as tag.* columns", async () => {
    fake.store.putContext({
      name: `${MS}/contexts/${E}-py`,
      displayName: "py",
      schemaTitle: "system.ExperimentRun",
      schemaVersion: "0.0.1",
      labels: { env: "prod" },
      description: "set in the console",
      metadata: toStruct({ _params: { lr: 1 }, _metrics: {}, _state: "COMPLETE" }),
      parentContexts: [`${MS}/contexts/${E}`],
    });
    const run = await ExperimentRun.get("py", { experiment: E, backend });
    expect(await run.getTags()).toEqual({ env: "prod" });
    expect(run.description).toBe("set in the console");
    const rows = await (await Experiment.get(E, { backend })).getDataFrame({ includeTimeSeries: false });
    expect(rows.find((r) => r.run_name === "py")?.["tag.env"]).toBe("prod");
    expect(rows.find((r) => r.run_name === "tagged")?.["tag.team"]).toBe("vision");
  });

  it("a tag that breaks Vertex's label rules is refused before any RPC", async () => {
    const run = await ExperimentRun.get("tagged", { experiment: E, backend });
    fake.resetRpcCounts();
    await expect(run.setTags({ Team: "Vision" })).rejects.toMatchObject({ code: "VALIDATION" });
    expect(fake.rpcCounts()).toEqual({});
  });

  it("the backend declares Vertex's times and label rules", () => {
    expect(backend.capabilities).toMatchObject({ keepsTimes: false, tagsAsLabels: true });
  });
});

describe("legacy system.Run runs (copies keep the run type)", () => {
  it("are created as Python's Experiments preview made them: an Execution associated with the experiment", async () => {
    const record = await backend.createRun(E, { name: "preview", state: "RUNNING", runType: "system.Run" });
    expect(record).toMatchObject({ name: "preview", runType: "system.Run", state: "RUNNING", params: {} });
    const execution = fake.store.getExecution(`${MS}/executions/${E}-preview`)!;
    expect(execution).toMatchObject({ schemaTitle: "system.Run", displayName: "preview", state: "RUNNING" });
    expect(fake.store.contextExecutions(`${MS}/contexts/${E}`)).toContain(execution.name);
    expect(fake.store.getContext(`${MS}/contexts/${E}-preview`)).toBeUndefined();
  });

  it("take params, metrics, state, tags and a note where Python keeps them", async () => {
    const run = await ExperimentRun.get("preview", { experiment: E, backend });
    await run.logParams({ batch: 32 });
    await run.logMetrics({ acc: 0.5 });
    await run.setTags({ origin: "copy" });
    await run.setDescription("copied");
    await run.updateState("COMPLETE");
    const execution = fake.store.getExecution(`${MS}/executions/${E}-preview`)!;
    expect(fromStruct(execution.metadata)).toEqual({ batch: 32 });
    expect(execution).toMatchObject({ state: "COMPLETE", labels: { origin: "copy" }, description: "copied" });
    expect(fromStruct(fake.store.getArtifact(`${MS}/artifacts/${E}-preview-metrics`)!.metadata)).toEqual({
      acc: 0.5,
    });
    await run.setDescription("");
    await run.deleteTags(["origin"]);
    expect(fake.store.getExecution(`${MS}/executions/${E}-preview`)).toMatchObject({
      labels: {},
      description: "",
    });
    await run.setTags({ origin: "copy" });
    const listed = (await backend.listRuns(E)).items.find((r) => r.name === "preview");
    expect(listed).toMatchObject({
      runType: "system.Run",
      params: { batch: 32 },
      metrics: { acc: 0.5 },
      tags: { origin: "copy" },
    });
  });

  it("a name taken by a run context or a legacy run is ALREADY_EXISTS", async () => {
    await ExperimentRun.create("taken", { experiment: E, backend });
    await expect(
      backend.createRun(E, { name: "taken", state: "RUNNING", runType: "system.Run" }),
    ).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
    });
    await expect(
      backend.createRun(E, { name: "preview", state: "RUNNING", runType: "system.Run" }),
    ).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
    });
  });

  it("a pipeline run cannot be created: Vertex makes those for pipeline jobs", async () => {
    await expect(
      backend.createRun(E, { name: "pipe", state: "RUNNING", runType: "system.PipelineRun" }),
    ).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/PipelineJob/) });
  });
});
