import type { SeriesPoint } from "./types.js";

/**
 * Whether `candidate` replaces `current` as a metric's latest point: a larger step wins, and on the
 * same step the later write wins (the caller passes points in write order).
 */
export function isLaterPoint(current: SeriesPoint | undefined, candidate: SeriesPoint): boolean {
  return current === undefined || candidate.step >= current.step;
}

/** The latest point of each metric in `points` (given in write order). */
export function latestPoints(points: Iterable<SeriesPoint>): Record<string, SeriesPoint> {
  const latest: Record<string, SeriesPoint> = {};
  for (const point of points) {
    if (isLaterPoint(latest[point.metric], point)) latest[point.metric] = point;
  }
  return latest;
}

/**
 * Keeps one point per (metric, step), the last written, and sorts by step, then wall time, then
 * metric. This is how every backend's raw points become what users read.
 */
export function settlePoints(points: readonly SeriesPoint[]): SeriesPoint[] {
  const byKey = new Map<string, SeriesPoint>();
  for (const point of points) {
    const key = `${point.step}\u0000${point.metric}`;
    byKey.delete(key); // re-insert so a superseding point takes the later position
    byKey.set(key, point);
  }
  return [...byKey.values()].sort(
    (a, b) =>
      a.step - b.step || a.wallTime - b.wallTime || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0),
  );
}
