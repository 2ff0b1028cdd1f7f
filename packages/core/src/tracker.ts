import type { ClassificationMetrics, ClassificationMetricsInput } from "./classification-metrics.js";
import { type CommonOptions, getDefaults, onInit } from "./config.js";
import type { ExperimentDataFrameRow, TimeSeriesDataFrameRow } from "./dataframe.js";
import { InvalidTypeError, NotFoundError, ValidationError } from "./errors.js";
import { Experiment } from "./experiment.js";
import { ExperimentRun, type ParamsInput, runEndListeners } from "./experiment-run.js";
import type { PipelineJob } from "./resources.js";
import type { RunState } from "./types.js";
import { optionsObject, typeName } from "./validation.js";

/** The run that the module-level functions log to (Python's `_experiment_tracker`). */
let current: ExperimentRun | undefined;

onInit((changed) => {
  if (changed.project || changed.location || changed.experiment) current = undefined;
});
runEndListeners.add((run) => {
  if (current === run) current = undefined;
});

export interface StartRunOptions extends CommonOptions {
  experiment?: string;
  tensorboard?: string | { resourceName: string };
  /** Continue an existing run (state set back to RUNNING) instead of creating one. Never creates. */
  resume?: boolean;
}

/**
 * Starts (or with `resume`, continues) the current run; a run already current is ended COMPLETE
 * first. Without a name (`startRun()`, `startRun(undefined, options)`) a readable unique one is
 * generated. `await using run = await startRun("r")` ends it COMPLETE when the block exits, even
 * when it throws: use {@link withRun} when the outcome matters.
 */
export async function startRun(name?: string, options: StartRunOptions = {}): Promise<ExperimentRun> {
  options = optionsObject(options, "startRun options") as StartRunOptions;
  if (!options.experiment && !getDefaults().experiment) {
    throw new ValidationError(
      "No experiment set for this run. Make sure to call init({ experiment: 'my-experiment' }) before invoking startRun.",
    );
  }
  if (current) await endRun();
  let run: ExperimentRun;
  if (options.resume) {
    if (name === undefined)
      throw new ValidationError("startRun(name, { resume: true }) needs the name of the run to continue.");
    run = await ExperimentRun.get(name, options);
    if (options.tensorboard !== undefined) await run.assignBackingTensorboard(options.tensorboard);
    await run.updateState("RUNNING");
  } else {
    run = await ExperimentRun.create(name, options);
  }
  current = run;
  return run;
}

/** Ends the current run (COMPLETE unless given) and forgets it. A run deleted meanwhile is only forgotten. */
export async function endRun(options: { state?: RunState } = {}): Promise<void> {
  const run = requireRun("endRun");
  try {
    await run.endRun(options);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    process.emitWarning(`Experiment run ${run.name} was not found. It may have been deleted.`);
  } finally {
    if (current === run) current = undefined;
  }
}

/**
 * Python's `with start_run(...)`: runs `fn` with a started run, then ends it FAILED if `fn` throws
 * (rethrowing the error) and COMPLETE otherwise.
 */
export async function withRun<T>(
  name: string | undefined,
  fn: (run: ExperimentRun) => Promise<T> | T,
  options: StartRunOptions = {},
): Promise<T> {
  // Checked before the run is started: a bad callback must not leave a RUNNING run behind.
  if (typeof fn !== "function") {
    throw new InvalidTypeError(
      `withRun(name, fn) takes the function to run as its second argument; got ${typeName(fn)}.`,
    );
  }
  const run = await startRun(name, options);
  let result: T;
  try {
    result = await fn(run);
  } catch (error) {
    await endRunIfCurrent(run, "FAILED");
    throw error;
  }
  await endRunIfCurrent(run, "COMPLETE");
  return result;
}

async function endRunIfCurrent(run: ExperimentRun, state: RunState): Promise<void> {
  if (current === run) await endRun({ state });
  else await run.endRun({ state });
}

/** The current run, if one was started. */
export function getCurrentRun(): ExperimentRun | undefined {
  return current;
}

export async function logParams<T extends ParamsInput<T>>(params: T): Promise<void> {
  await requireRun("logParams").logParams(params);
}

export async function logMetrics<T extends ParamsInput<T>>(metrics: T): Promise<void> {
  await requireRun("logMetrics").logMetrics(metrics);
}

export async function logTimeSeriesMetrics(
  metrics: Record<string, number>,
  options: { step?: number; wallTime?: Date | number } = {},
): Promise<void> {
  await requireRun("logTimeSeriesMetrics").logTimeSeriesMetrics(metrics, options);
}

export async function logClassificationMetrics(
  input: ClassificationMetricsInput,
): Promise<ClassificationMetrics> {
  return requireRun("logClassificationMetrics").logClassificationMetrics(input);
}

export async function log(resources: { pipelineJob?: PipelineJob } & Record<string, unknown>): Promise<void> {
  await requireRun("log").log(resources);
}

export async function getTimeSeriesDataFrame<M extends string = string>(): Promise<
  TimeSeriesDataFrameRow<M>[]
> {
  return requireRun("getTimeSeriesDataFrame").getTimeSeriesDataFrame<M>();
}

/** `Experiment.getDataFrame()` of the given experiment, else `init`'s (which must exist). */
export async function getExperimentDataFrame(
  experiment?: string,
  options: CommonOptions & { includeTimeSeries?: boolean } = {},
): Promise<ExperimentDataFrameRow[]> {
  const name = experiment ?? getDefaults().experiment;
  if (!name) {
    throw new ValidationError(
      "No experiment set. Make sure to call init({ experiment: 'my-experiment' }) or pass the experiment name.",
    );
  }
  const found = await Experiment.get(name, options);
  return found.getDataFrame(options);
}

function requireRun(method: string): ExperimentRun {
  if (!current) {
    if (!getDefaults().experiment) {
      throw new ValidationError(
        `No experiment set. Make sure to call init({ experiment: 'my-experiment' }) before trying to ${method}.`,
      );
    }
    throw new ValidationError(`No run set. Make sure to call startRun('my-run') before trying to ${method}.`);
  }
  return current;
}
