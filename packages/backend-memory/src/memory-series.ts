import { type Backend, latestPoints, type SeriesPoint, type TimeSeriesWrite } from "@exprun/core";
import type { MemoryStore, StoredRun } from "./memory-store.js";

type SeriesMethods = Pick<Backend, "appendTimeSeries" | "readTimeSeries" | "latestTimeSeries">;

/** Time series: each run keeps its writes as given (core made them fresh for this call). */
export function seriesMethods(store: MemoryStore): SeriesMethods {
  return {
    async appendTimeSeries(ref, writes) {
      const stored = store.runOf(ref).writes;
      for (const write of writes) stored.push(write);
    },
    async readTimeSeries(ref, options) {
      const wanted = options?.metrics ? new Set(options.metrics) : undefined;
      return [...pointsOf(store.runOf(ref).writes)].filter((p) => !wanted || wanted.has(p.metric));
    },
    async latestTimeSeries(ref) {
      return latestOfRun(store.runOf(ref));
    },
  };
}

export function latestOfRun(run: StoredRun): Record<string, SeriesPoint> {
  return latestPoints(pointsOf(run.writes));
}

function* pointsOf(writes: readonly TimeSeriesWrite[]): Generator<SeriesPoint> {
  for (const { step, wallTime, values } of writes) {
    for (const metric in values) yield { metric, step, wallTime, value: values[metric]! };
  }
}
