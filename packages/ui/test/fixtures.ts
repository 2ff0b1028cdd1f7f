import { Artifact, type Backend, Execution, Experiment, ExperimentRun, PipelineJob } from "@exprun/core";

/** A param value and a metric name that would run script if the page ever rendered store text as HTML. */
export const XSS_VALUE = `<img src=x onerror="window.__xss=1">`;
export const XSS_METRIC = `<script>window.__xss=2</script>`;

export const EXPERIMENT = "vision-exp";
export const SPIKE_STEP = 1234;

/**
 * A small experiment with everything the pages show: params and metrics of every type (NaN too),
 * time series (one with a spike and 5,000 points), classification metrics, an execution with input and
 * output artifacts, a pipeline job, and a run whose values are HTML.
 */
export async function seedStore(backend: Backend): Promise<void> {
  await Experiment.create(EXPERIMENT, { backend, description: "image classifiers, <b>not bold</b>" });
  await Experiment.create("empty-exp", { backend, description: "nothing yet" });
  const specs = [
    { name: "alpha", lr: 0.1, model: "cnn", acc: 0.91, state: "COMPLETE" as const },
    { name: "beta", lr: 0.01, model: "cnn", acc: 0.87, state: "COMPLETE" as const },
    { name: "gamma", lr: 0.3, model: "mlp", acc: Number.NaN, state: "FAILED" as const },
  ];
  for (const spec of specs) {
    const run = await ExperimentRun.create(spec.name, { backend, experiment: EXPERIMENT });
    await run.logParams({
      learning_rate: spec.lr,
      model: spec.model,
      batch_size: 32,
      augment: spec.name !== "beta",
    });
    await run.logMetrics({ accuracy: spec.acc, loss_final: 0.1 + spec.lr });
    for (let step = 1; step <= 50; step++) {
      await run.logTimeSeriesMetrics(
        { loss: 1 / (step * (1 + spec.lr)), val_accuracy: 0.5 + step / 120 },
        { step, wallTime: 1_700_000_000_000 + step * 1000 },
      );
    }
    await run.updateState(spec.state);
    await run.flush();
  }
  const alpha = await ExperimentRun.get("alpha", { backend, experiment: EXPERIMENT });
  // A long series with one spike: downsampled, the spike must stay visible.
  for (let step = 1; step <= 5000; step++) {
    const value = step === SPIKE_STEP ? 1000 : Math.sin(step / 300);
    await alpha.logTimeSeriesMetrics(
      { grad_norm: value },
      { step, wallTime: 1_700_000_000_000 + step * 100 },
    );
  }
  await alpha.flush();
  await alpha.setTags({ team: "vision", owner: "ana" });
  await alpha.setDescription("baseline CNN, augmentation on");
  await alpha.logClassificationMetrics({
    displayName: "test-set",
    labels: ["cat", "dog", "bird"],
    matrix: [
      [50, 3, 2],
      [4, 40, 6],
      [1, 2, 30],
    ],
    fpr: [0, 0.05, 0.1, 0.3, 1],
    tpr: [0, 0.6, 0.8, 0.95, 1],
    threshold: [1, 0.8, 0.6, 0.3, 0],
  });
  const data = await Artifact.create({
    backend,
    schemaTitle: "system.Dataset",
    displayName: "train-images",
    uri: "file:///data/train",
  });
  const model = await Artifact.create({
    backend,
    schemaTitle: "system.Model",
    displayName: "cnn-model",
    uri: "file:///models/cnn",
  });
  const execution = await Execution.create({
    backend,
    schemaTitle: "system.ContainerExecution",
    displayName: "train-job",
    state: "COMPLETE",
  });
  await execution.assignInputArtifacts([data]);
  await execution.assignOutputArtifacts([model]);
  await alpha.associateExecution(execution);
  await alpha.log({
    pipelineJob: new PipelineJob({
      resourceName: "projects/p/locations/l/pipelineJobs/train-pipeline-1",
      displayName: "train-pipeline-1",
    }),
  });

  const xss = await ExperimentRun.create("html-run", { backend, experiment: EXPERIMENT });
  await xss.logParams({ note: XSS_VALUE, model: "cnn" });
  await xss.logMetrics({ [XSS_METRIC]: 1 });
  await xss.setTags({ note: XSS_VALUE });
  await xss.setDescription(XSS_METRIC);
  await xss.logTimeSeriesMetrics({ [XSS_METRIC]: 1 }, { step: 1 });
  await xss.logTimeSeriesMetrics({ [XSS_METRIC]: 2 }, { step: 2 });
  await xss.endRun();
}
