/** How run calls find their experiment, backend and TensorBoard, and what a taken name says. */
import type { CheckedBackend } from "./checked-backend.js";
import { resolveBackend, resolveExperimentName } from "./config.js";
import { AlreadyExistsError, ValidationError } from "./errors.js";
import { Experiment } from "./experiment.js";
import type { RunOptions } from "./experiment-run.js";
import type { RunRecord, RunRef } from "./types.js";

export function refOf(record: RunRecord): RunRef {
  return record.incarnation
    ? { experiment: record.experiment, run: record.name, incarnation: record.incarnation }
    : { experiment: record.experiment, run: record.name };
}

export function isAlreadyExists(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ALREADY_EXISTS";
}

export function runExists(
  name: string,
  experiment: string,
  backend: string,
  cause: unknown,
): AlreadyExistsError {
  return new AlreadyExistsError(
    `Run ${JSON.stringify(name)} already exists in experiment ${JSON.stringify(experiment)}. To continue it, use ` +
      `startRun(${JSON.stringify(name)}, { resume: true }) or ExperimentRun.get(${JSON.stringify(name)}, { experiment: ` +
      `${JSON.stringify(experiment)} }); to start another, pick a new name or leave the name out to get a generated one.`,
    { backend, cause },
  );
}

export function experimentNameOf(experiment: string | Experiment | undefined): string {
  return experiment instanceof Experiment ? experiment.name : resolveExperimentName(experiment);
}

/** The experiment name and backend a call addresses (an `Experiment` object brings its own backend). */
export async function target(options: RunOptions): Promise<{ experiment: string; backend: CheckedBackend }> {
  const experiment = experimentNameOf(options.experiment);
  const backend =
    options.experiment instanceof Experiment ? options.experiment.backend : await resolveBackend(options);
  return { experiment, backend };
}

export function tensorboardName(tensorboard: string | { resourceName: string }): string {
  const name =
    typeof tensorboard === "string"
      ? tensorboard
      : (tensorboard as { resourceName?: unknown } | null)?.resourceName;
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(
      "tensorboard must be a TensorBoard resource name or an object with resourceName.",
    );
  }
  return name;
}
