import type { DownsampledTimeSeries } from "@exprun/core";

export interface SeriesSummary {
  steps: number;
  firstStep: number;
  lastStep: number;
  last: number;
  min: number;
  max: number;
}

/**
 * Per metric, from a downsampled read with one bucket: the number of distinct steps, the first and
 * last step, the latest value (largest step; of a step written twice, the last write), and the min and
 * max (NaN ignored unless every value is NaN). Core reads the series as a stream to build it, so memory
 * does not grow with the series. Metrics in the order their series were created.
 */
export function summariseSeries(read: DownsampledTimeSeries): Record<string, SeriesSummary> {
  const out: Record<string, SeriesSummary> = {};
  for (const m of read.series) {
    if (!m.first || !m.last) continue;
    out[m.metric] = {
      steps: m.count,
      firstStep: m.first.step,
      lastStep: m.last.step,
      last: m.last.value,
      min: extreme(m.buckets.min.values),
      max: extreme(m.buckets.max.values),
    };
  }
  return out;
}

/** The only bucket's value (several buckets never come from a one-bucket read, but take the first). */
function extreme(values: Float64Array): number {
  return values.length ? values[0]! : Number.NaN;
}
