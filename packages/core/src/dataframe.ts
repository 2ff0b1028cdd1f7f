import { settlePoints } from "./series.js";
import type { RunRecord, SeriesPoint, Value } from "./types.js";

/** A row of `Experiment.getDataFrame()`. */
export type ExperimentDataFrameRow = {
  experiment_name: string;
  run_name: string;
  run_type: string;
  state: string;
} & { [column: string]: Value | null };

/** A row of `run.getTimeSeriesDataFrame()`: `step`, `wall_time`, then one column per metric. */
export type TimeSeriesDataFrameRow = { step: number; wall_time: Date } & { [metric: string]: number | Date };

const FIXED = ["experiment_name", "run_name", "run_type", "state"] as const;

export function buildExperimentDataFrame(experiment: string, runs: RunRecord[]): ExperimentDataFrameRow[] {
  // Python orders columns: fixed ones, then param.*, metric.*, then the rest, each in first-appearance order.
  const params = new Set<string>();
  const metrics = new Set<string>();
  const series = new Set<string>();
  for (const run of runs) {
    for (const k of Object.keys(run.params)) params.add(`param.${k}`);
    for (const k of Object.keys(run.metrics)) metrics.add(`metric.${k}`);
    for (const k of Object.keys(run.latestTimeSeries ?? {})) series.add(`time_series_metric.${k}`);
  }
  const columns = [...params, ...metrics, ...series];
  return runs.map((run) => {
    const row: Record<string, Value | null> = {
      experiment_name: experiment,
      run_name: run.name,
      run_type: run.runType,
      state: run.state,
    };
    for (const column of columns) row[column] = null;
    for (const [k, v] of Object.entries(run.params)) row[`param.${k}`] = v;
    for (const [k, v] of Object.entries(run.metrics)) row[`metric.${k}`] = v;
    for (const [k, p] of Object.entries(run.latestTimeSeries ?? {})) row[`time_series_metric.${k}`] = p.value;
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
