import { type SeriesPoint, settlePoints } from "@exprun/core";

export interface SeriesSummary {
  steps: number;
  firstStep: number;
  lastStep: number;
  last: number;
  min: number;
  max: number;
}

/** Per metric: number of steps, first/last step, last value (largest step), min and max (NaN ignored). */
export function summariseSeries(points: readonly SeriesPoint[]): Record<string, SeriesSummary> {
  const out: Record<string, SeriesSummary> = {};
  for (const p of settlePoints(points)) {
    const s = out[p.metric];
    if (!s) {
      out[p.metric] = {
        steps: 1,
        firstStep: p.step,
        lastStep: p.step,
        last: p.value,
        min: p.value,
        max: p.value,
      };
      continue;
    }
    s.steps++;
    if (p.step >= s.lastStep) {
      s.lastStep = p.step;
      s.last = p.value;
    }
    if (p.step < s.firstStep) s.firstStep = p.step;
    if (!Number.isNaN(p.value)) {
      if (Number.isNaN(s.min) || p.value < s.min) s.min = p.value;
      if (Number.isNaN(s.max) || p.value > s.max) s.max = p.value;
    }
  }
  return out;
}

/** Area under a ROC curve by the trapezoid rule over the points sorted by false-positive rate. */
export function rocAuc(fpr: number[], tpr: number[]): number {
  const points = fpr.map((x, i) => [x, tpr[i]!] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}
