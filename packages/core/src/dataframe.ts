import { chunksFromPoints } from "./series-stream.js";
import type { RunRecord, RunState, SeriesChunk, SeriesColumns, SeriesPoint, Value } from "./types.js";

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
 * Python's `get_time_series_data_frame()` from a series stream: one row per (step, wall_time), sorted by
 * step then wall time, metrics logged in one call sharing a row; for a (metric, step) written twice, the
 * last write wins. Columns: `step`, `wall_time`, then every metric in the order its series was created
 * (a row without a value for a metric has the key, set to `undefined`), so every row has the same keys
 * in Python's column order. (JavaScript lists integer-like keys such as `"1"` first in any object.)
 *
 * Memory: the rows, plus the stream's columns (24 bytes a point) while they are merged into rows.
 */
export async function timeSeriesDataFrame(
  chunks: AsyncIterable<SeriesChunk>,
): Promise<TimeSeriesDataFrameRow[]> {
  const byMetric = new Map<string, SeriesColumns[]>();
  for await (const chunk of chunks) addChunk(byMetric, chunk);
  return rowsFromColumns(byMetric);
}

/** {@link timeSeriesDataFrame} of points already in memory (in write order). */
export function buildTimeSeriesDataFrame(points: readonly SeriesPoint[]): TimeSeriesDataFrameRow[] {
  const byMetric = new Map<string, SeriesColumns[]>();
  for (const chunk of chunksFromPoints(points)) addChunk(byMetric, chunk);
  return rowsFromColumns(byMetric);
}

function addChunk(byMetric: Map<string, SeriesColumns[]>, chunk: SeriesChunk): void {
  let list = byMetric.get(chunk.metric);
  if (!list) {
    list = [];
    byMetric.set(chunk.metric, list); // first chunk of a metric: creation order
  }
  if (chunk.steps.length > 0) list.push(chunk);
}

function rowsFromColumns(byMetric: Map<string, SeriesColumns[]>): TimeSeriesDataFrameRow[] {
  const names = [...byMetric.keys()];
  const columns = names.map((name) => {
    const settled = settleColumns(concatColumns(byMetric.get(name)!));
    byMetric.set(name, []); // the chunks can go now
    return settled;
  });
  // Every row is a copy of one template: the same keys in the same order (one hidden class, and a
  // copy is faster than adding keys one by one).
  const template: Record<string, number | Date | undefined> = { step: 0, wall_time: undefined };
  for (const name of names) if (name !== "step" && name !== "wall_time") template[name] = undefined;
  const rows: TimeSeriesDataFrameRow[] = [];
  const next = names.length <= 64 ? scanOrder(columns) : heapOrder(columns);
  const cursor = next.cursor;
  for (let head = next(); head >= 0; head = next()) {
    const step = columns[head]!.steps[cursor[head]!]!;
    const wallTime = columns[head]!.wallTimes[cursor[head]!]!;
    const row = { ...template };
    row.step = step;
    row.wall_time = new Date(wallTime);
    // Every metric whose next point is at this (step, wall time) gives its value to the row.
    for (let j = head; j >= 0; j = next.same(step, wallTime)) {
      const k = cursor[j]!;
      row[names[j]!] = columns[j]!.values[k]!;
      next.advance(j);
    }
    rows.push(row as TimeSeriesDataFrameRow);
  }
  return rows;
}

/**
 * The metrics' settled columns walked in (step, wall time) order: `()` gives the metric whose next
 * point comes first (-1 when all are done), `same(step, wallTime)` another metric whose next point is
 * at that key (-1 when none), `advance(j)` moves metric `j` past its next point.
 */
interface RowOrder {
  (): number;
  same(step: number, wallTime: number): number;
  advance(metric: number): void;
  cursor: Int32Array;
}

/** Few metrics: scan every metric's next point (no heap bookkeeping). */
function scanOrder(columns: readonly SeriesColumns[]): RowOrder {
  const m = columns.length;
  const cursor = new Int32Array(m);
  const order = (() => {
    let best = -1;
    let step = 0;
    let wallTime = 0;
    for (let j = 0; j < m; j++) {
      const c = columns[j]!;
      const k = cursor[j]!;
      if (k >= c.steps.length) continue;
      const s = c.steps[k]!;
      const t = c.wallTimes[k]!;
      if (best < 0 || s < step || (s === step && t < wallTime)) {
        best = j;
        step = s;
        wallTime = t;
      }
    }
    return best;
  }) as RowOrder;
  let from = 0;
  order.same = (step, wallTime) => {
    for (let j = from; j < m; j++) {
      const c = columns[j]!;
      const k = cursor[j]!;
      if (k < c.steps.length && c.steps[k] === step && c.wallTimes[k] === wallTime) {
        from = j + 1;
        return j;
      }
    }
    from = 0;
    return -1;
  };
  order.advance = (j) => {
    cursor[j]! += 1;
  };
  order.cursor = cursor;
  return order;
}

/** Many metrics: a binary heap of metric indices, ordered by the (step, wall time) of each one's next point. */
function heapOrder(columns: readonly SeriesColumns[]): RowOrder {
  const m = columns.length;
  const cursor = new Int32Array(m);
  const heap: number[] = [];
  const before = (a: number, b: number) => {
    const sa = columns[a]!.steps[cursor[a]!]!;
    const sb = columns[b]!.steps[cursor[b]!]!;
    return sa < sb || (sa === sb && columns[a]!.wallTimes[cursor[a]!]! < columns[b]!.wallTimes[cursor[b]!]!);
  };
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
  };
  for (let j = 0; j < m; j++) {
    if (columns[j]!.steps.length === 0) continue;
    heap.push(j);
    up(heap.length - 1);
  }
  const order = (() => (heap.length > 0 ? heap[0]! : -1)) as RowOrder;
  order.same = (step, wallTime) => {
    if (heap.length === 0) return -1;
    const j = heap[0]!;
    const k = cursor[j]!;
    return columns[j]!.steps[k] === step && columns[j]!.wallTimes[k] === wallTime ? j : -1;
  };
  order.advance = (j) => {
    // j is always the heap's top (order() or same() returned it)
    cursor[j]! += 1;
    if (cursor[j]! < columns[j]!.steps.length) {
      down(0);
    } else {
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        down(0);
      }
    }
  };
  order.cursor = cursor;
  return order;
}

function concatColumns(parts: readonly SeriesColumns[]): SeriesColumns {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const part of parts) n += part.steps.length;
  const out = { steps: new Float64Array(n), wallTimes: new Float64Array(n), values: new Float64Array(n) };
  let at = 0;
  for (const part of parts) {
    out.steps.set(part.steps, at);
    out.wallTimes.set(part.wallTimes, at);
    out.values.set(part.values, at);
    at += part.steps.length;
  }
  return out;
}

/** One point per step, the last written, in step order (as is when steps already increase strictly). */
function settleColumns(c: SeriesColumns): SeriesColumns {
  const n = c.steps.length;
  let increasing = true;
  for (let i = 1; i < n; i++) {
    if (!(c.steps[i]! > c.steps[i - 1]!)) {
      increasing = false;
      break;
    }
  }
  if (increasing) return c;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => c.steps[a]! - c.steps[b]! || a - b); // stable by write order within a step
  let kept = 0;
  for (let i = 0; i < n; i++) if (i + 1 === n || c.steps[order[i + 1]!] !== c.steps[order[i]!]) kept++;
  const out = {
    steps: new Float64Array(kept),
    wallTimes: new Float64Array(kept),
    values: new Float64Array(kept),
  };
  let k = 0;
  for (let i = 0; i < n; i++) {
    const at = order[i]!;
    if (i + 1 < n && c.steps[order[i + 1]!] === c.steps[at]) continue; // a later write of this step follows
    out.steps[k] = c.steps[at]!;
    out.wallTimes[k] = c.wallTimes[at]!;
    out.values[k] = c.values[at]!;
    k++;
  }
  return out;
}
