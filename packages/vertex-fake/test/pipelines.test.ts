import { v1 } from "@google-cloud/aiplatform";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fromStruct } from "../src/index.js";
import { codeOf, type Harness, LOCATION, PROJECT, STORE, startHarness } from "./setup.js";

// Issue 13.3: Python's run.get_logged_pipeline_jobs() calls PipelineService.GetPipelineJob.

let h: Harness;
let pipelines: InstanceType<typeof v1.PipelineServiceClient>;
const parent = `projects/${PROJECT}/locations/${LOCATION}`;

beforeAll(async () => {
  h = await startHarness({ projectNumber: "4242" });
  pipelines = new v1.PipelineServiceClient(h.fake.clientOptions());
}, 30_000);
afterAll(async () => {
  await pipelines?.close();
  await h.close();
});
beforeEach(() => h.fake.reset());

describe("PipelineService", () => {
  it("creates a job as submit() does: its run context and root execution exist at once", async () => {
    const [job] = await pipelines.createPipelineJob({
      parent,
      pipelineJobId: "train-20240101",
      pipelineJob: {
        displayName: "train",
        labels: { team: "ml" },
        runtimeConfig: { parameterValues: { lr: { numberValue: 0.01 }, optimizer: { stringValue: "adam" } } },
      },
    });
    expect(job.name).toBe("projects/4242/locations/us-central1/pipelineJobs/train-20240101");
    expect(job.displayName).toBe("train");
    expect(job.state).toBe("PIPELINE_STATE_RUNNING");
    expect(job.labels).toEqual({ team: "ml" });
    const runContext = job.jobDetail?.pipelineRunContext;
    expect(runContext?.name).toBe(
      "projects/4242/locations/us-central1/metadataStores/default/contexts/train-20240101",
    );
    expect(runContext?.schemaTitle).toBe("system.PipelineRun");
    const [context] = await h.metadata.getContext({ name: runContext!.name! });
    expect(context.displayName).toBe("train-20240101");
    const [executions] = await h.metadata.listExecutions({
      parent: STORE,
      filter: `in_context("${runContext!.name}") AND schema_title="system.Run"`,
    });
    expect(executions).toHaveLength(1);
    expect(executions[0]!.state).toBe("RUNNING");
    expect(fromStruct(executions[0]!.metadata as never)).toEqual({
      "input:lr": 0.01,
      "input:optimizer": "adam",
    });
  });

  it("gets a job by project id or number, and answers NOT_FOUND for a missing one", async () => {
    await pipelines.createPipelineJob({ parent, pipelineJobId: "job-a", pipelineJob: {} });
    const [byId] = await pipelines.getPipelineJob({ name: `${parent}/pipelineJobs/job-a` });
    const [byNumber] = await pipelines.getPipelineJob({
      name: "projects/4242/locations/us-central1/pipelineJobs/job-a",
    });
    expect(byId.displayName).toBe("job-a");
    expect(byNumber.name).toBe(byId.name);
    const missing = await codeOf(pipelines.getPipelineJob({ name: `${parent}/pipelineJobs/nope` }));
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.details).toBe(
      "PipelineJob projects/4242/locations/us-central1/pipelineJobs/nope not found.",
    );
  });

  it("refuses a taken or invalid job id", async () => {
    await pipelines.createPipelineJob({ parent, pipelineJobId: "job-a", pipelineJob: {} });
    expect(
      (await codeOf(pipelines.createPipelineJob({ parent, pipelineJobId: "job-a", pipelineJob: {} }))).code,
    ).toBe(status.ALREADY_EXISTS);
    const invalid = await codeOf(
      pipelines.createPipelineJob({ parent, pipelineJobId: "1-Job", pipelineJob: {} }),
    );
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(invalid.details).toMatch(/starting with a letter, fewer than 128 characters/);
  });

  it("lists jobs newest first by default, filters and pages them", async () => {
    for (const id of ["job-1", "job-2", "job-3"]) {
      await pipelines.createPipelineJob({ parent, pipelineJobId: id, pipelineJob: { labels: { n: id } } });
    }
    const [all] = await pipelines.listPipelineJobs({ parent });
    expect(all.map((j) => j.displayName)).toEqual(["job-3", "job-2", "job-1"]);
    const [filtered] = await pipelines.listPipelineJobs({ parent, filter: 'labels.n = "job-2"' });
    expect(filtered.map((j) => j.displayName)).toEqual(["job-2"]);
    const [first, , response] = await pipelines.listPipelineJobs(
      { parent, pageSize: 2, orderBy: "create_time" },
      { autoPaginate: false },
    );
    expect(first.map((j) => j.displayName)).toEqual(["job-1", "job-2"]);
    expect(response?.nextPageToken).toBeTruthy();
  });

  it("serves jobs seeded into the store, and cancels and deletes them", async () => {
    h.fake.store.putPipelineJob({
      name: `${parent}/pipelineJobs/seeded`,
      displayName: "from a test",
      state: "PIPELINE_STATE_SUCCEEDED",
    });
    const [seeded] = await pipelines.getPipelineJob({ name: `${parent}/pipelineJobs/seeded` });
    expect(seeded).toMatchObject({ displayName: "from a test", state: "PIPELINE_STATE_SUCCEEDED" });
    expect(h.fake.store.listPipelineJobs(parent).map((j) => j.name)).toEqual([
      "projects/4242/locations/us-central1/pipelineJobs/seeded",
    ]);
    await pipelines.cancelPipelineJob({ name: seeded.name! });
    expect(h.fake.store.getPipelineJob(seeded.name!)?.state).toBe("PIPELINE_STATE_CANCELLED");
    const [operation] = await pipelines.deletePipelineJob({ name: seeded.name! });
    await operation.promise();
    expect(h.fake.store.getPipelineJob(seeded.name!)).toBeUndefined();
    expect(h.fake.rpcCounts().GetPipelineJob).toBeGreaterThan(0);
  });

  it("answers UNIMPLEMENTED for the training-pipeline methods it does not model", async () => {
    const result = await codeOf(pipelines.getTrainingPipeline({ name: `${parent}/trainingPipelines/1` }));
    expect(result.code).toBe(status.UNIMPLEMENTED);
  });
});
