import type { Backend, SeriesChunk, SeriesPoint, SeriesQuery, TimeSeriesWrite } from "@exprun/core";
import type { MemoryStore } from "./memory-store.js";

type SeriesMethods = Pick<Backend, "appendTimeSeries" | "readSeries" | "latestTimeSeries">;

/** Time series: each run keeps one growable column per metric, in series creation order. */
export function seriesMethods(store: MemoryStore): SeriesMethods {
  return {
    async appendTimeSeries(ref, writes) {
      const series = store.runOf(ref).series;
      for (const write of writes) series.append(write);
    },
    async *readSeries(ref, query) {
      yield* store.runOf(ref).series.read(query, store.seriesChunkPoints);
    },
    async latestTimeSeries(ref) {
      return store.runOf(ref).series.latest();
    },
  };
}

/** Points per chunk `readSeries` yields unless the backend is told otherwise. */
export const DEFAULT_SERIES_CHUNK_POINTS = 65_536;

/** One metric's points as growable columns (24 bytes a point), append-only. */
class Column {
  steps = new Float64Array(256);
  wallTimes = new Float64Array(256);
  values = new Float64Array(256);
  length = 0;
  /** Steps never decreased: a step range is found by binary search instead of a scan. */
  nondecreasing = true;
  /** Index of the latest point: largest step, ties to the last written. */
  latest = -1;

  push(step: number, wallTime: number, value: number): void {
    if (this.length === this.steps.length) this.#grow();
    const i = this.length++;
    this.steps[i] = step;
    this.wallTimes[i] = wallTime;
    this.values[i] = value;
    if (i > 0 && step < this.steps[i - 1]!) this.nondecreasing = false;
    if (this.latest < 0 || step >= this.steps[this.latest]!) this.latest = i;
  }

  #grow(): void {
    const grow = (a: Float64Array) => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.steps = grow(this.steps);
    this.wallTimes = grow(this.wallTimes);
    this.values = grow(this.values);
  }

  /** First index in [0, end) whose step is >= `step` (or > with `after`), for nondecreasing columns. */
  bound(step: number, end: number, after: boolean): number {
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.steps[mid]!;
      if (s < step || (after && s === step)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A run's time series: columns per metric, kept in the order each metric's series was created. */
export class RunSeries {
  readonly #columns = new Map<string, Column>();

  append(write: TimeSeriesWrite): void {
    const { step, wallTime, values } = write;
    for (const metric in values) {
      let column = this.#columns.get(metric);
      if (!column) {
        column = new Column();
        this.#columns.set(metric, column);
      }
      column.push(step, wallTime, values[metric]!);
    }
  }

  latest(): Record<string, SeriesPoint> {
    const out: Record<string, SeriesPoint> = {};
    for (const [metric, c] of this.#columns) {
      if (c.latest < 0) continue;
      out[metric] = {
        metric,
        step: c.steps[c.latest]!,
        wallTime: c.wallTimes[c.latest]!,
        value: c.values[c.latest]!,
      };
    }
    return out;
  }

  /**
   * Slices of the points present when the read starts, metric by metric in creation order, each a
   * copy of at most `chunkPoints` points; `metrics` and `steps` are applied here.
   */
  async *read(query: SeriesQuery | undefined, chunkPoints: number): AsyncGenerator<SeriesChunk> {
    const wanted = query?.metrics ? new Set(query.metrics) : undefined;
    const from = query?.steps?.from ?? Number.NEGATIVE_INFINITY;
    const to = query?.steps?.to ?? Number.POSITIVE_INFINITY;
    const snapshot = [...this.#columns]
      .filter(([metric]) => !wanted || wanted.has(metric))
      .map(([metric, column]) => ({ metric, column, end: column.length }));
    for (const { metric, column, end } of snapshot) {
      if (column.nondecreasing) {
        const lo = from === Number.NEGATIVE_INFINITY ? 0 : column.bound(from, end, false);
        const hi = to === Number.POSITIVE_INFINITY ? end : column.bound(to, end, true);
        for (let start = lo; start < hi; start += chunkPoints) {
          const stop = Math.min(hi, start + chunkPoints);
          yield {
            metric,
            steps: column.steps.slice(start, stop),
            wallTimes: column.wallTimes.slice(start, stop),
            values: column.values.slice(start, stop),
          };
        }
        continue;
      }
      for (let start = 0; start < end; start += chunkPoints) {
        const stop = Math.min(end, start + chunkPoints);
        const chunk = inRange(metric, column, start, stop, from, to);
        if (chunk.steps.length > 0) yield chunk;
      }
    }
  }
}

/** The points of `column[start, stop)` with `from <= step <= to`, copied. */
function inRange(
  metric: string,
  column: Column,
  start: number,
  stop: number,
  from: number,
  to: number,
): SeriesChunk {
  let n = 0;
  for (let i = start; i < stop; i++) {
    const s = column.steps[i]!;
    if (s >= from && s <= to) n++;
  }
  const chunk = {
    metric,
    steps: new Float64Array(n),
    wallTimes: new Float64Array(n),
    values: new Float64Array(n),
  };
  let k = 0;
  for (let i = start; i < stop; i++) {
    const s = column.steps[i]!;
    if (s < from || s > to) continue;
    chunk.steps[k] = s;
    chunk.wallTimes[k] = column.wallTimes[i]!;
    chunk.values[k] = column.values[i]!;
    k++;
  }
  return chunk;
}
