import { type ExperimentRun, type SeriesPoint, settlePoints } from "@exprun/core";

/**
 * The only module of the UI that reads time series. It asks for a downsampled view: per metric the
 * raw point count, the exact first and last point of the range, and per bucket of the x axis the
 * min, max, first and last value (an envelope: a spike is never dropped, nothing is sampled).
 *
 * PENDING (issue 14, waits for issue 12 by the series engineer): this reads every point with
 * `backend.readTimeSeries` and buckets them here. It is replaced by core's
 * `run.getTimeSeries({ metrics, x, range, buckets })`, which streams the points (`readSeries`) and
 * lets a store push the bucketing down; this file then only adapts core's result to
 * {@link DownsampledSeries}.
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
   * Equal-width buckets over `[from, to]` of the x axis when `count > buckets`; a bucket without
   * points (or with only NaN values) has NaN everywhere.
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

/** The downsampled series of one run, in the order the metrics were first logged. */
export async function readDownsampled(run: ExperimentRun, query: SeriesQuery): Promise<DownsampledSeries[]> {
  const options = query.metrics ? { metrics: [...query.metrics] } : undefined;
  const points = settlePoints(await run.backend.readTimeSeries(run.ref, options));
  const byMetric = new Map<string, SeriesPoint[]>();
  for (const point of points) {
    const list = byMetric.get(point.metric);
    if (list) list.push(point);
    else byMetric.set(point.metric, [point]);
  }
  const out: DownsampledSeries[] = [];
  const names = query.metrics ?? [...byMetric.keys()];
  for (const metric of names) {
    out.push(downsample(metric, byMetric.get(metric) ?? [], query));
  }
  return out;
}

function downsample(metric: string, all: SeriesPoint[], query: SeriesQuery): DownsampledSeries {
  const xOf = query.x === "step" ? (p: SeriesPoint) => p.step : (p: SeriesPoint) => p.wallTime;
  const from = query.range?.from ?? Number.NEGATIVE_INFINITY;
  const to = query.range?.to ?? Number.POSITIVE_INFINITY;
  const points = all.filter((p) => xOf(p) >= from && xOf(p) <= to);
  if (query.x === "wallTime") points.sort((a, b) => a.wallTime - b.wallTime || a.step - b.step);
  const count = points.length;
  const exact = (p: SeriesPoint | undefined) =>
    p ? { step: p.step, wallTime: p.wallTime, value: p.value } : undefined;
  const result: DownsampledSeries = {
    metric,
    count,
    first: exact(points[0]),
    last: exact(points[count - 1]),
  };
  if (count <= query.buckets) {
    const x = new Float64Array(count);
    const y = new Float64Array(count);
    points.forEach((p, i) => {
      x[i] = xOf(p);
      y[i] = p.value;
    });
    result.raw = { x, y };
    return result;
  }
  const lo = Number.isFinite(from) ? from : xOf(points[0]!);
  const hi = Number.isFinite(to) ? to : xOf(points[count - 1]!);
  const n = query.buckets;
  const min = new Float64Array(n).fill(Number.NaN);
  const max = new Float64Array(n).fill(Number.NaN);
  const first = new Float64Array(n).fill(Number.NaN);
  const last = new Float64Array(n).fill(Number.NaN);
  const width = (hi - lo) / n;
  for (const p of points) {
    const v = p.value;
    const i = width > 0 ? Math.min(n - 1, Math.floor((xOf(p) - lo) / width)) : 0;
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(first[i]!)) first[i] = v;
    last[i] = v;
    if (!(v >= min[i]!)) min[i] = v;
    if (!(v <= max[i]!)) max[i] = v;
  }
  result.buckets = { from: lo, to: hi, min, max, first, last };
  return result;
}
