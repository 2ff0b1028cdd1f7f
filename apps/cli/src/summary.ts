import { isLaterPoint, type SeriesPoint } from "@exprun/core";

export interface SeriesSummary {
  steps: number;
  firstStep: number;
  lastStep: number;
  last: number;
  min: number;
  max: number;
}

/**
 * Folds points (in write order) into per-metric summaries: number of distinct steps, first/last
 * step, the latest value (core's rule: largest step, on a tie the last written), min and max (NaN
 * ignored; NaN when every value is). Memory grows with the number of metrics and distinct steps, not
 * with the points read, so a series can be streamed through it.
 */
export class SeriesSummariser {
  readonly #metrics = new Map<
    string,
    { steps: Set<number>; latest: SeriesPoint; min: number; max: number; first: number }
  >();

  add(point: SeriesPoint): void {
    const s = this.#metrics.get(point.metric);
    if (!s) {
      const value = Number.isNaN(point.value) ? Number.NaN : point.value;
      this.#metrics.set(point.metric, {
        steps: new Set([point.step]),
        latest: point,
        min: value,
        max: value,
        first: point.step,
      });
      return;
    }
    s.steps.add(point.step);
    if (isLaterPoint(s.latest, point)) s.latest = point;
    if (point.step < s.first) s.first = point.step;
    if (!Number.isNaN(point.value)) {
      if (Number.isNaN(s.min) || point.value < s.min) s.min = point.value;
      if (Number.isNaN(s.max) || point.value > s.max) s.max = point.value;
    }
  }

  /** Per metric, in the order the metrics first appeared. */
  result(): Record<string, SeriesSummary> {
    const out: Record<string, SeriesSummary> = {};
    for (const [metric, s] of this.#metrics) {
      out[metric] = {
        steps: s.steps.size,
        firstStep: s.first,
        lastStep: s.latest.step,
        last: s.latest.value,
        min: s.min,
        max: s.max,
      };
    }
    return out;
  }
}

/** Summaries of points given in write order. */
export function summariseSeries(points: Iterable<SeriesPoint>): Record<string, SeriesSummary> {
  const summariser = new SeriesSummariser();
  for (const point of points) summariser.add(point);
  return summariser.result();
}

/**
 * Area under a ROC curve by the trapezoid rule over its points sorted by false-positive rate: the
 * number `runs show` prints next to a logged curve, and the AUC the demo logs for the curve it logs.
 */
export function rocAuc(fpr: readonly number[], tpr: readonly number[]): number {
  const points = fpr.map((x, i) => [x, tpr[i]!] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}
