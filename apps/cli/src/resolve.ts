import {
  type CheckedBackend,
  collectPages,
  type ExperimentRecord,
  ExperimentRun,
  isExprunError,
  NotFoundError,
  type RunRecord,
  type RunRef,
} from "@exprun/core";
import { UsageError } from "./errors.js";

/** The CLI's one "experiment not found" message, with the command that lists what exists. */
export function experimentNotFound(name: string, backend: CheckedBackend): NotFoundError {
  return new NotFoundError(
    `Experiment ${JSON.stringify(name)} was not found. List the experiments with: exprun experiments list`,
    { backend: backend.name },
  );
}

/** The experiment's record, or the CLI's not-found error. */
export async function requireExperimentRecord(
  backend: CheckedBackend,
  name: string,
): Promise<ExperimentRecord> {
  const record = await backend.getExperiment(name);
  if (!record) throw experimentNotFound(name, backend);
  return record;
}

/**
 * Finds the run a command names: `experiment/run`, or `run` with `--experiment`
 * (or `EXPRUN_EXPERIMENT`), or `run` alone when exactly one experiment has a run of that name.
 */
export async function resolveRun(
  backend: CheckedBackend,
  spec: string,
  experiment: string | undefined,
): Promise<RunRecord> {
  const slash = spec.indexOf("/");
  if (slash !== -1) {
    return mustGet(backend, { experiment: spec.slice(0, slash), run: spec.slice(slash + 1) });
  }
  if (experiment) return mustGet(backend, { experiment, run: spec });
  const experiments = await collectPages((page) => backend.listExperiments(page));
  const found: RunRecord[] = [];
  for (const e of experiments) {
    const record = await backend.getRun({ experiment: e.name, run: spec });
    if (record) found.push(record);
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new NotFoundError(
      `Run ${JSON.stringify(spec)} was not found in any experiment. List the runs with: exprun runs list`,
      { backend: backend.name },
    );
  }
  throw new UsageError(
    `Run ${JSON.stringify(spec)} exists in several experiments (${found.map((r) => JSON.stringify(r.experiment)).join(", ")}). ` +
      `Name one: --experiment ${found[0]!.experiment} or ${found[0]!.experiment}/${spec}.`,
  );
}

async function mustGet(backend: CheckedBackend, ref: RunRef): Promise<RunRecord> {
  await requireExperimentRecord(backend, ref.experiment);
  const record = await backend.getRun(ref);
  if (!record) {
    throw new NotFoundError(
      `Run ${JSON.stringify(ref.run)} was not found in experiment ${JSON.stringify(ref.experiment)}. ` +
        `List its runs with: exprun runs list --experiment ${ref.experiment}`,
      { backend: backend.name },
    );
  }
  return record;
}

/** The experiment a command needs: the option, else `EXPRUN_EXPERIMENT`, else a usage error. */
export function requireExperiment(value: string | undefined, command: string): string {
  if (value) return value;
  throw new UsageError(`${command} needs an experiment: pass --experiment NAME (or set EXPRUN_EXPERIMENT).`);
}

/** The run to log to; with `create`, it (and its experiment) are created when missing. */
export async function getRun(
  backend: CheckedBackend,
  spec: string,
  experimentOption: string | undefined,
  create: boolean,
): Promise<ExperimentRun> {
  const slash = spec.indexOf("/");
  const experiment = slash === -1 ? requireExperiment(experimentOption, "exprun log") : spec.slice(0, slash);
  const name = slash === -1 ? spec : spec.slice(slash + 1);
  try {
    return await ExperimentRun.get(name, { backend, experiment });
  } catch (error) {
    // By code, not class: a backend package from the user's project brings its own copy of core.
    if (!isExprunError(error, "NOT_FOUND")) throw error;
    if (!create) {
      throw new NotFoundError(
        `Run ${JSON.stringify(name)} was not found in experiment ${JSON.stringify(experiment)}. Pass --create to create it.`,
        { backend: backend.name },
      );
    }
    return ExperimentRun.create(name, { backend, experiment });
  }
}
