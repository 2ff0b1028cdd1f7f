import type { Backend, RunRef, SeriesChunk, SeriesPoint, SeriesQuery, TimeSeriesWrite } from "@exprun/core";
import { expect } from "vitest";

/** Every chunk of a stream, in delivery order. */
export async function chunksOf(stream: AsyncIterable<SeriesChunk>): Promise<SeriesChunk[]> {
  const chunks: SeriesChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The points of chunks, in delivery order. */
export function pointsOf(chunks: readonly SeriesChunk[]): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (const { metric, steps, wallTimes, values } of chunks) {
    expect(wallTimes.length, `chunk of ${metric}: columns of equal length`).toBe(steps.length);
    expect(values.length, `chunk of ${metric}: columns of equal length`).toBe(steps.length);
    for (let i = 0; i < steps.length; i++) {
      points.push({ metric, step: steps[i]!, wallTime: wallTimes[i]!, value: values[i]! });
    }
  }
  return points;
}

/** What `backend.readSeries(ref, query)` delivers, point by point in delivery order. */
export async function readPoints(backend: Backend, ref: RunRef, query?: SeriesQuery): Promise<SeriesPoint[]> {
  return pointsOf(await chunksOf(backend.readSeries(ref, query)));
}

/** The metrics of chunks in the order each first appears. */
export function metricOrder(chunks: readonly SeriesChunk[]): string[] {
  const seen = new Set<string>();
  for (const chunk of chunks) if (chunk.steps.length > 0) seen.add(chunk.metric);
  return [...seen];
}

/** The points of writes, in write order. */
export function pointsOfWrites(writes: readonly TimeSeriesWrite[]): SeriesPoint[] {
  return writes.flatMap(({ step, wallTime, values }) =>
    Object.entries(values).map(([metric, value]) => ({ metric, step, wallTime, value })),
  );
}

const keyOf = (p: SeriesPoint) =>
  `${p.metric}\u0000${p.step}\u0000${p.wallTime}\u0000${Object.is(p.value, -0) ? "-0" : p.value}`;

/** Point → how often it occurs. */
function tally(points: readonly SeriesPoint[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(keyOf(p), (counts.get(keyOf(p)) ?? 0) + 1);
  return counts;
}

/**
 * Asserts that `read` holds every point of `expected` exactly as often as it was written: nothing lost,
 * nothing doubled, nothing else. Reports the first differences, not two huge arrays.
 */
export function expectSamePoints(
  read: readonly SeriesPoint[],
  expected: readonly SeriesPoint[],
  what = "points",
): void {
  const got = tally(read);
  const want = tally(expected);
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [key, n] of want) {
    const m = got.get(key) ?? 0;
    if (m < n) missing.push(`${key.replaceAll("\u0000", " ")} (×${n - m})`);
  }
  for (const [key, n] of got) {
    const m = want.get(key) ?? 0;
    if (n > m) extra.push(`${key.replaceAll("\u0000", " ")} (×${n - m})`);
  }
  expect(
    {
      missing: missing.length,
      extra: extra.length,
      firstMissing: missing.slice(0, 5),
      firstExtra: extra.slice(0, 5),
    },
    `${what}: ${read.length} read, ${expected.length} expected`,
  ).toEqual({ missing: 0, extra: 0, firstMissing: [], firstExtra: [] });
}

/** `count` writes of `metrics` at steps `from`, `from + 1`, …; values and wall times derived from the step. */
export function stepWrites(
  metrics: readonly string[],
  from: number,
  count: number,
  value: (metric: string, step: number) => number = (m, s) => s + m.length / 100,
): TimeSeriesWrite[] {
  return Array.from({ length: count }, (_, i) => {
    const step = from + i;
    return {
      step,
      wallTime: 1_700_000_000_000 + step,
      values: Object.fromEntries(metrics.map((m) => [m, value(m, step)])),
    };
  });
}

/** Appends `writes` in calls of `batch` writes each. */
export async function appendAll(
  backend: Backend,
  ref: RunRef,
  writes: readonly TimeSeriesWrite[],
  batch = 500,
): Promise<void> {
  for (let i = 0; i < writes.length; i += batch)
    await backend.appendTimeSeries(ref, writes.slice(i, i + batch));
}
