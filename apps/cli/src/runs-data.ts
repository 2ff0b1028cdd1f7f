import { type CheckedBackend, collectPages, type RunRecord } from "@exprun/core";
import { isoTime } from "./format/json.js";
import { requireExperimentRecord } from "./resolve.js";

/** Runs of one experiment, or of every experiment when none is named. */
export async function loadRuns(
  backend: CheckedBackend,
  experiment: string | undefined,
  withLatestTimeSeries: boolean,
): Promise<{ runs: RunRecord[]; experiments: string[] }> {
  let names: string[];
  if (experiment) {
    await requireExperimentRecord(backend, experiment);
    names = [experiment];
  } else {
    names = (await collectPages((page) => backend.listExperiments(page))).map((e) => e.name);
  }
  const runs: RunRecord[] = [];
  for (const name of names) {
    runs.push(...(await collectPages((page) => backend.listRuns(name, { ...page, withLatestTimeSeries }))));
  }
  return { runs, experiments: names };
}

/** The stable JSON shape of a run in `runs list --json` and `runs show --json`. */
export function runJson(run: RunRecord) {
  return {
    experiment: run.experiment,
    run: run.name,
    runType: run.runType,
    state: run.state,
    createTime: isoTime(run.createTime),
    updateTime: isoTime(run.updateTime),
    tensorboardRun: run.tensorboardRun ?? null,
    params: run.params,
    metrics: run.metrics,
    tags: run.tags,
    description: run.description,
    ...(run.latestTimeSeries
      ? {
          latestTimeSeries: Object.fromEntries(
            Object.entries(run.latestTimeSeries).map(([k, p]) => [
              k,
              { step: p.step, value: p.value, wallTime: isoTime(p.wallTime) },
            ]),
          ),
        }
      : {}),
  };
}
