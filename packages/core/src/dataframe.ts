import { settlePoints } from "./series.js";
import type { RunRecord, RunState, SeriesPoint, Value } from "./types.js";

/** A row of `Experiment.getDataFrame()`. */
export type ExperimentDataFrameRow = {
  experiment_name: string;
  run_name: string;
  run_type: string;
  state: RunState;
} & { [column: string]: Value | null };

/**
 * A row of `run.getTimeSeriesDataFrame()`: `step`, `wall_time`, then one number column per metric
 * (absent where the metric has no point at that step). `M` names the metrics when known.
 */
export type TimeSeriesDataFrameRow<M extends string = string> = { step: number; wall_time: Date } & {
  [metric in M]: number;
};

const FIXED = ["experiment_name", "run_name", "run_type", "state"] as const;

export function buildExperimentDataFrame(experiment: string, runs: RunRecord[]): ExperimentDataFrameRow[] {
  // Python orders columns: fixed ones, then param.*, metric.*, then the rest, each in first-appearance
  // order; exprun's tag.* come last (absent when no run has tags, so the frame stays Python's).
  // Column names are built once per key, and every row starts as a copy of one template.
  const params = new Map<string, string>();
  const metrics = new Map<string, string>();
  const series = new Map<string, string>();
  const tags = new Map<string, string>();
  const add = (columns: Map<string, string>, prefix: string, key: string) => {
    if (!columns.has(key)) columns.set(key, prefix + key);
  };
  for (const run of runs) {
    for (const key in run.params) add(params, "param.", key);
    for (const key in run.metrics) add(metrics, "metric.", key);
    for (const key in run.latestTimeSeries) add(series, "time_series_metric.", key);
    for (const key in run.tags) add(tags, "tag.", key);
  }
  const template: Record<string, Value | null> = {
    experiment_name: experiment,
    run_name: "",
    run_type: "",
    state: "",
  };
  for (const column of [...params.values(), ...metrics.values(), ...series.values(), ...tags.values()]) {
    template[column] = null;
  }
  return runs.map((run) => {
    const row = { ...template };
    row.run_name = run.name;
    row.run_type = run.runType;
    row.state = run.state;
    for (const key in run.params) row[params.get(key)!] = run.params[key]!;
    for (const key in run.metrics) row[metrics.get(key)!] = run.metrics[key]!;
    const latest = run.latestTimeSeries;
    if (latest) for (const key in latest) row[series.get(key)!] = latest[key]!.value;
    for (const key in run.tags) row[tags.get(key)!] = run.tags[key]!;
    return row as ExperimentDataFrameRow;
  });
}

/** The columns of an experiment DataFrame in Python's order (the first row has them all). */
export function dataFrameColumns(rows: readonly Record<string, unknown>[]): string[] {
  const first = rows[0];
  return first ? Object.keys(first) : [...FIXED];
}

/**
 * Python's `get_time_series_data_frame()`: one row per (step, wall_time), sorted by step then wall
 * time, metrics logged in one call sharing a row; for a (metric, step) written twice, the last wins.
 */
export function buildTimeSeriesDataFrame(points: readonly SeriesPoint[]): TimeSeriesDataFrameRow[] {
  const rows = new Map<string, Record<string, number | Date>>();
  for (const point of settlePoints(points)) {
    const key = `${point.step}\u0000${point.wallTime}`;
    let row = rows.get(key);
    if (!row) {
      row = { step: point.step, wall_time: new Date(point.wallTime) };
      rows.set(key, row);
    }
    row[point.metric] = point.value;
  }
  return [...rows.values()] as TimeSeriesDataFrameRow[];
}
