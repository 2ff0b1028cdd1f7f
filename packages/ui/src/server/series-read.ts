import {
  type DownsampledMetric,
  type DownsampledTimeSeries,
  type ExperimentRun,
  type SeriesBuckets,
  type SeriesPoint,
  settlePoints,
} from "@exprun/core";

/**
 * The UI's reads of time series, on core's: `run.getTimeSeries()` (per metric the raw count, the
 * exact first and last point of the range, and per bucket the first, last, min and max point — an
 * envelope, never a sample) and, for a range that holds no more points than the chart has buckets,
 * `run.readTimeSeries()` for those points exactly. This file only shapes core's answers for the wire.
 */

export type XAxis = "step" | "wallTime";

export interface SeriesQuery {
  metrics?: readonly string[] | undefined;
  x: XAxis;
  range?: { from?: number | undefined; to?: number | undefined } | undefined;
  /** Buckets of the x range; when the range holds at most this many points they are returned raw. */
  buckets: number;
}

export interface ExactPoint {
  step: number;
  wallTime: number;
  value: number;
}

export interface DownsampledSeries {
  metric: string;
  /** Points of the metric in the range (one per step: the last written wins). */
  count: number;
  first?: ExactPoint | undefined;
  last?: ExactPoint | undefined;
  /** Every point of the range, sorted by x, when `count <= buckets`. */
  raw?: { x: Float64Array; y: Float64Array };
  /**
   * Equal-width buckets over `[from, to]` of the x axis when `count > buckets`, dense: a bucket
   * without points (or with only NaN values) has NaN everywhere.
   */
  buckets?: {
    from: number;
    to: number;
    min: Float64Array;
    max: Float64Array;
    first: Float64Array;
    last: Float64Array;
  };
}

/**
 * The downsampled series of one run, in the order the metrics were first logged. A metric asked for
 * by name that the run does not have comes back empty (a compared run may lack a metric others have).
 */
export async function readDownsampled(run: ExperimentRun, query: SeriesQuery): Promise<DownsampledSeries[]> {
  const range = definedRange(query.range);
  let result: DownsampledTimeSeries;
  try {
    result = await run.getTimeSeries({
      ...(query.metrics ? { metrics: query.metrics } : {}),
      x: query.x,
      ...(range ? { range } : {}),
      buckets: query.buckets,
    });
  } catch (error) {
    // The routes check x, range and buckets before calling, so core's only remaining refusal is a
    // metric the run does not have.
    if (query.metrics && (error as { code?: unknown }).code === "VALIDATION") {
      return query.metrics.map((metric) => ({ metric, count: 0 }));
    }
    throw error;
  }
  const out: DownsampledSeries[] = [];
  for (const metric of result.series) {
    const base: DownsampledSeries = {
      metric: metric.metric,
      count: metric.count,
      first: exact(metric.first),
      last: exact(metric.last),
    };
    if (metric.count === 0) out.push(base);
    else if (metric.count <= query.buckets) out.push({ ...base, raw: await readRaw(run, metric, query) });
    else out.push({ ...base, buckets: denseBuckets(metric.buckets) });
  }
  return out;
}

/** Per metric: points, first and last point, min and max (one bucket over the whole series). */
export async function summarizeSeries(run: ExperimentRun) {
  const { series } = await run.getTimeSeries({ buckets: 1 });
  return series.map((m) => ({
    metric: m.metric,
    count: m.count,
    first: exact(m.first) ?? null,
    last: exact(m.last) ?? null,
    min: extreme(m.buckets.min.values, Math.min),
    max: extreme(m.buckets.max.values, Math.max),
  }));
}

function extreme(values: Float64Array, pick: (...xs: number[]) => number): number {
  const finite = [...values].filter((v) => !Number.isNaN(v));
  return finite.length ? pick(...finite) : Number.NaN;
}

function definedRange(range: SeriesQuery["range"]): { from?: number; to?: number } | undefined {
  if (!range || (range.from === undefined && range.to === undefined)) return undefined;
  return {
    ...(range.from === undefined ? {} : { from: range.from }),
    ...(range.to === undefined ? {} : { to: range.to }),
  };
}

function exact(point: SeriesPoint | undefined): ExactPoint | undefined {
  return point ? { step: point.step, wallTime: point.wallTime, value: point.value } : undefined;
}

/**
 * Core lists non-empty buckets with their lower edge and one width; the wire sends every bucket
 * between the first and the last, empty ones as NaN, so the x of bucket i is implied.
 */
function denseBuckets(b: SeriesBuckets): NonNullable<DownsampledSeries["buckets"]> {
  const from = b.start[0]!;
  const index = (i: number) => Math.round((b.start[i]! - from) / b.width);
  const n = b.length === 0 ? 0 : index(b.length - 1) + 1;
  const min = new Float64Array(n).fill(Number.NaN);
  const max = new Float64Array(n).fill(Number.NaN);
  const first = new Float64Array(n).fill(Number.NaN);
  const last = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < b.length; i++) {
    const k = index(i);
    min[k] = b.min.values[i]!;
    max[k] = b.max.values[i]!;
    first[k] = b.first.values[i]!;
    last[k] = b.last.values[i]!;
  }
  return { from, to: from + n * b.width, min, max, first, last };
}

/**
 * The points of a range that holds at most `buckets` of them, exactly, sorted by x. The stream is
 * asked for the steps the buckets span (for a wall-time range too: its points' steps are between the
 * buckets' smallest and largest), and core's rule keeps the last write of each step.
 */
async function readRaw(
  run: ExperimentRun,
  metric: DownsampledMetric,
  query: SeriesQuery,
): Promise<{ x: Float64Array; y: Float64Array }> {
  const steps = stepSpan(metric.buckets);
  let points = await readPoints(run, metric.metric, steps, query);
  if (points.length !== metric.count) points = await readPoints(run, metric.metric, undefined, query);
  const x = new Float64Array(points.length);
  const y = new Float64Array(points.length);
  points.forEach((p, i) => {
    x[i] = query.x === "step" ? p.step : p.wallTime;
    y[i] = p.value;
  });
  return { x, y };
}

async function readPoints(
  run: ExperimentRun,
  metric: string,
  steps: { from: number; to: number } | undefined,
  query: SeriesQuery,
): Promise<SeriesPoint[]> {
  const read: SeriesPoint[] = [];
  for await (const chunk of run.readTimeSeries({ metrics: [metric], ...(steps ? { steps } : {}) })) {
    for (let i = 0; i < chunk.steps.length; i++) {
      read.push({ metric, step: chunk.steps[i]!, wallTime: chunk.wallTimes[i]!, value: chunk.values[i]! });
    }
  }
  const from = query.range?.from ?? Number.NEGATIVE_INFINITY;
  const to = query.range?.to ?? Number.POSITIVE_INFINITY;
  const xOf = query.x === "step" ? (p: SeriesPoint) => p.step : (p: SeriesPoint) => p.wallTime;
  const points = settlePoints(read).filter((p) => xOf(p) >= from && xOf(p) <= to);
  if (query.x === "wallTime") points.sort((a, b) => a.wallTime - b.wallTime || a.step - b.step);
  return points;
}

function stepSpan(b: SeriesBuckets): { from: number; to: number } | undefined {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const columns of [b.first, b.last, b.min, b.max]) {
    for (const s of columns.steps) {
      if (s < from) from = s;
      if (s > to) to = s;
    }
  }
  return from <= to ? { from, to } : undefined;
}
