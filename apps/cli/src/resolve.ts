import {
  type CheckedBackend,
  collectPages,
  type ExperimentRecord,
  ExperimentRun,
  experimentNotFound,
  isExprunError,
  NotFoundError,
  type RunRecord,
  type RunRef,
  runNotFound,
} from "@exprun/core";
import { UsageError } from "./errors.js";

/** The experiment's record, or core's not-found error with the command that lists what exists. */
export async function requireExperimentRecord(
  backend: CheckedBackend,
  name: string,
): Promise<ExperimentRecord> {
  const record = await backend.getExperiment(name);
  if (!record) {
    throw experimentNotFound(name, {
      backend: backend.name,
      hint: "List the experiments with: exprun experiments list",
    });
  }
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
    throw runNotFound(ref, {
      backend: backend.name,
      hint: `List its runs with: exprun runs list --experiment ${ref.experiment}`,
    });
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
    if (!create)
      throw runNotFound(
        { experiment, run: name },
        { backend: backend.name, hint: "Pass --create to create it." },
      );
    return ExperimentRun.create(name, { backend, experiment });
  }
}
