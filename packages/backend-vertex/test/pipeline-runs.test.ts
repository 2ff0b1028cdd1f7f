import { Experiment, ExperimentRun, PipelineJob } from "@exprun/core";
import { toStruct, type VertexFake } from "@exprun/vertex-fake";
import { v1 } from "@google-cloud/aiplatform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VertexBackend } from "../src/index.js";
import { backendOn, LOCATION, lazyFake, PROJECT } from "./fake.js";

// Issue 13.7: pipeline jobs submitted with `PipelineJob.submit(experiment=…)` are rows of the
// experiment, as Python's get_experiment_df shows them (pipeline_jobs.py `_query_experiment_row`).

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
let pipelines: InstanceType<typeof v1.PipelineServiceClient>;
let metadata: InstanceType<typeof v1.MetadataServiceClient>;
const LOCATION_NAME = `projects/${PROJECT}/locations/${LOCATION}`;
const MS = `${LOCATION_NAME}/metadataStores/default`;

/** What Python's `PipelineJob.submit(experiment=E)` does: create the job, then make its run context a child of E. */
async function submitWithExperiment(jobId: string, experiment: string, parameters: Record<string, number>) {
  const [job] = await pipelines.createPipelineJob({
    parent: LOCATION_NAME,
    pipelineJobId: jobId,
    pipelineJob: {
      displayName: `${jobId}-display`,
      runtimeConfig: {
        parameterValues: Object.fromEntries(
          Object.entries(parameters).map(([k, v]) => [k, { numberValue: v }]),
        ),
      },
    },
  });
  const runContext = job.jobDetail?.pipelineRunContext?.name ?? "";
  await metadata.addContextChildren({ context: `${MS}/contexts/${experiment}`, childContexts: [runContext] });
  return runContext;
}

beforeAll(async () => {
  fake = await fakeHandle.get();
  backend = backendOn(fake);
  pipelines = new v1.PipelineServiceClient(fake.clientOptions());
  metadata = new v1.MetadataServiceClient(fake.clientOptions());
  await Experiment.create("pipe-exp", { backend });
  await ExperimentRun.create("plain-run", { experiment: "pipe-exp", backend });
  const runContext = await submitWithExperiment("nightly-123", "pipe-exp", { lr: 0.1, epochs: 3 });
  // The pipeline's components logged metrics artifacts into its run context.
  for (const [id, schemaTitle, values] of [
    ["nightly-123-eval", "system.Metrics", { accuracy: 0.9, loss: 0.2 }],
    ["nightly-123-cls", "google.ClassificationMetrics", { auPrc: 0.8 }],
    ["nightly-123-model", "system.Model", { framework: "xgboost" }],
  ] as const) {
    fake.store.putArtifact({
      name: `${MS}/artifacts/${id}`,
      schemaTitle,
      state: "LIVE",
      metadata: toStruct(values),
    });
    fake.store.addContextArtifactsAndExecutions(runContext, [`${MS}/artifacts/${id}`], []);
  }
  await ExperimentRun.create("later-run", { experiment: "pipe-exp", backend });
  // A pipeline run whose root execution was not recorded.
  fake.store.putContext({
    name: `${MS}/contexts/bare-pipeline`,
    displayName: "bare-pipeline",
    schemaTitle: "system.PipelineRun",
    schemaVersion: "0.0.1",
    parentContexts: [`${MS}/contexts/pipe-exp`],
  });
});
afterAll(async () => {
  await pipelines?.close();
  await metadata?.close();
  await backend?.close?.();
  await fakeHandle.close();
});

describe("pipeline runs of an experiment", () => {
  it("are rows of the experiment DataFrame, with Python's params, state and metrics", async () => {
    const rows = await (await Experiment.get("pipe-exp", { backend })).getDataFrame();
    expect(rows.map((r) => [r.run_name, r.run_type])).toEqual([
      ["plain-run", "system.ExperimentRun"],
      ["nightly-123", "system.PipelineRun"],
      ["later-run", "system.ExperimentRun"],
      ["bare-pipeline", "system.PipelineRun"],
    ]);
    const pipeline = rows[1]!;
    expect(pipeline).toMatchObject({
      experiment_name: "pipe-exp",
      state: "RUNNING",
      "param.lr": 0.1,
      "param.epochs": 3,
      "metric.accuracy": 0.9,
      "metric.loss": 0.2,
      "metric.auPrc": 0.8,
    });
    // Only metrics schemas count; the model artifact is no metric.
    expect(pipeline["metric.framework"] ?? null).toBeNull();
    expect(rows[3]).toMatchObject({ state: "NEW" });
    expect(rows[3]!["param.lr"] ?? null).toBeNull();
  });

  it("are listed by the backend with runType system.PipelineRun", async () => {
    const page = await backend.listRuns("pipe-exp");
    const pipeline = page.items.find((r) => r.name === "nightly-123");
    expect(pipeline).toMatchObject({
      runType: "system.PipelineRun",
      params: { lr: 0.1, epochs: 3 },
      metrics: { accuracy: 0.9, loss: 0.2, auPrc: 0.8 },
    });
  });

  it("are not ExperimentRuns, as in Python's ExperimentRun.list", async () => {
    const runs = await ExperimentRun.list({ experiment: "pipe-exp", backend });
    expect(runs.map((r) => r.name)).toEqual(["plain-run", "later-run"]);
  });

  it("deleting the experiment leaves pipeline runs alone, as Python's Experiment.delete", async () => {
    await Experiment.create("pipe-del", { backend });
    await ExperimentRun.create("doomed", { experiment: "pipe-del", backend });
    const runContext = await submitWithExperiment("weekly-7", "pipe-del", { lr: 1 });
    await (await Experiment.get("pipe-del", { backend })).delete();
    expect(fake.store.getContext(`${MS}/contexts/pipe-del-doomed`)).toBeUndefined();
    expect(fake.store.getContext(runContext)?.schemaTitle).toBe("system.PipelineRun");
    expect(fake.store.getContext(`${MS}/contexts/pipe-del`)).toBeUndefined();
  });

  it("a pipeline job logged to a run reads back through the fake's PipelineService, as Python's get_logged_pipeline_jobs", async () => {
    const run = await ExperimentRun.get("plain-run", { experiment: "pipe-exp", backend });
    await run.log({
      pipelineJob: new PipelineJob({ resourceName: `${LOCATION_NAME}/pipelineJobs/nightly-123` }),
    });
    const [logged] = await run.getLoggedPipelineJobs();
    const [job] = await pipelines.getPipelineJob({ name: logged!.resourceName });
    expect(job.displayName).toBe("nightly-123-display");
    expect(job.state).toBe("PIPELINE_STATE_RUNNING");
  });
});
