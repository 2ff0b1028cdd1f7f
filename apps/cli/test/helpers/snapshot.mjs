// Reads everything a store holds through @exprun/core's public API, the way the conformance suite
// compares stores: per experiment and run, every field a user can read, with NaN kept (codec JSON).
// Plain JavaScript so the memory-dump hook (a `node --import` module) can use it too.
import { collectPages, ExperimentRun, stringifyJson } from "@exprun/core";

const withoutTimes = ({ createTime: _c, updateTime: _u, ...rest }) => rest;

export async function snapshotStore(backend) {
  const experiments = await collectPages((page) => backend.listExperiments(page));
  const out = [];
  for (const e of experiments) {
    const runs = [];
    for (const run of await ExperimentRun.list({ backend, experiment: e.name })) {
      const record = run.toJSON();
      runs.push({
        name: record.name,
        runType: record.runType,
        state: record.state,
        params: record.params,
        metrics: record.metrics,
        tensorboardRun: record.tensorboardRun ?? null,
        timeSeries: (await run.getTimeSeriesDataFrame()).map((row) => ({
          ...row,
          wall_time: row.wall_time.toISOString(),
        })),
        classificationMetrics: await run.getClassificationMetrics(),
        artifacts: (await run.getArtifacts()).map((a) => withoutTimes(a.toJSON())),
        executions: (await run.getExecutions()).map((x) => withoutTimes(x.toJSON())),
        pipelineJobs: (await run.getLoggedPipelineJobs()).map((p) => ({
          resourceName: p.resourceName,
          displayName: p.displayName,
        })),
      });
    }
    out.push({
      name: e.name,
      description: e.description,
      backingTensorboard: e.backingTensorboard ?? null,
      runs,
    });
  }
  return JSON.parse(stringifyJson(out));
}
