import { Artifact, type Backend, Execution, ExperimentRun, PipelineJob } from "@exprun/core";
import { expect } from "vitest";
import type { ExperimentSnapshot } from "./snapshot.mjs";

/** A store with every kind of data a run can hold. */
export async function seed(backend: Backend): Promise<void> {
  const wall = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const a = await ExperimentRun.create("trial-a", {
    backend,
    experiment: "exp-one",
    tensorboard: "projects/p/locations/l/tensorboards/7",
  });
  await a.logParams({ lr: 0.1, optimizer: "adam", layers: 4, shuffle: true, weird: Number.NaN });
  await a.logMetrics({ accuracy: 0.91, "unicode-ключ": "значение", inf: Number.POSITIVE_INFINITY });
  await a.logTimeSeriesMetrics({ loss: 0.9, val_loss: 1.1 }, { step: 0, wallTime: wall });
  await a.logTimeSeriesMetrics({ loss: 0.5 }, { step: 1, wallTime: wall + 1000 });
  await a.logTimeSeriesMetrics({ loss: 0.45 }, { step: 1, wallTime: wall + 2000 }); // supersedes step 1
  await a.logTimeSeriesMetrics({ val_loss: Number.NaN }, { step: 10, wallTime: wall + 3000 });
  await a.logClassificationMetrics({
    displayName: "cm",
    labels: ["no", "yes"],
    matrix: [
      [5, 1],
      [2, 7],
    ],
  });
  await a.logClassificationMetrics({
    displayName: "roc",
    fpr: [0, 0.5, 1],
    tpr: [0, 0.8, 1],
    threshold: [1, 0.5, 0],
  });
  const dataset = await Artifact.create({
    backend,
    schemaTitle: "system.Dataset",
    displayName: "train",
    uri: "gs://b/train.csv",
    metadata: { rows: 100 },
  });
  const model = await Artifact.create({
    backend,
    schemaTitle: "system.Model",
    displayName: "model",
    uri: "gs://b/model",
    metadata: { framework: "ts", nested: { depth: [1, 2] } },
  });
  const training = await Execution.create({
    backend,
    schemaTitle: "system.ContainerExecution",
    displayName: "train",
    metadata: { image: "trainer:1" },
  });
  await training.assignInputArtifacts([dataset]);
  await training.assignOutputArtifacts([model]);
  await training.update({ state: "COMPLETE", metadata: { seconds: 12.5 } });
  await a.associateExecution(training);
  await a.associateArtifacts([model]);
  await a.log({
    pipelineJob: new PipelineJob({
      resourceName: "projects/p/locations/l/pipelineJobs/job-1",
      displayName: "nightly",
    }),
  });
  await a.endRun({ state: "COMPLETE" });

  const b = await ExperimentRun.create("trial-b", { backend, experiment: "exp-one", state: "NEW" });
  await b.logParams({ lr: 0.01 });
  await b.associateExecution(training); // shared execution
  await b.updateState("FAILED");

  await ExperimentRun.create("empty", { backend, experiment: "exp-two" });
}

/** Compares two store snapshots field by field, naming the run and field that differ. */
export function expectSameStores(actual: ExperimentSnapshot[], expected: ExperimentSnapshot[]): void {
  expect(actual.map((e) => e.name)).toEqual(expected.map((e) => e.name));
  for (const [i, e] of expected.entries()) {
    const got = actual[i]!;
    expect({ ...got, runs: undefined }).toEqual({ ...e, runs: undefined });
    expect(got.runs.map((r) => r.name)).toEqual(e.runs.map((r) => r.name));
    for (const [j, run] of e.runs.entries()) {
      const copied = got.runs[j]!;
      for (const field of Object.keys(run) as (keyof typeof run)[]) {
        expect(copied[field], `${e.name}/${run.name} ${field}`).toEqual(run[field]);
      }
    }
  }
}
