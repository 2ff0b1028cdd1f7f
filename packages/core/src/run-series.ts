import type { Backend } from "./backend.js";
import { type TimeSeriesDataFrameRow, timeSeriesDataFrame } from "./dataframe.js";
import {
  type DownsampledTimeSeries,
  downsampleSeries,
  type TimeSeriesQuery,
  unknownMetrics,
  validateTimeSeriesQuery,
} from "./downsample.js";
import { filterSeries, latestSeriesPoints, validateSeriesQuery } from "./series-stream.js";
import type { RunRef, SeriesChunk, SeriesQuery } from "./types.js";

/** The series reads of one run, as `ExperimentRun` exposes them; each validates before any I/O. */

type SeriesBackend = Pick<Backend, "name" | "readSeries" | "latestTimeSeries">;

/**
 * The run's points as a stream of chunks: the query checked (first `next()` rejects on bad input),
 * applied again to what the store yields, and a requested metric the run does not have reported with
 * a `ValidationError` once the stream is done.
 */
export async function* streamRunSeries(
  backend: SeriesBackend,
  ref: RunRef,
  query?: SeriesQuery,
): AsyncGenerator<SeriesChunk> {
  const checked = validateSeriesQuery(query, backend.name);
  const seen = checked.metrics ? new Set<string>() : undefined;
  for await (const chunk of filterSeries(backend.readSeries(ref, checked), checked)) {
    seen?.add(chunk.metric);
    yield chunk;
  }
  const missing = checked.metrics?.filter((m) => !seen!.has(m)) ?? [];
  if (missing.length > 0) {
    const known = Object.keys(await latestSeriesPoints(backend, ref));
    const unknown = missing.filter((m) => !known.includes(m));
    if (unknown.length > 0) throw unknownMetrics(unknown, known, backend.name);
  }
}

/** `run.getTimeSeries()`: the downsampled read on the stream. */
export async function downsampleRun(
  backend: SeriesBackend,
  ref: RunRef,
  query?: TimeSeriesQuery,
): Promise<DownsampledTimeSeries> {
  const checked = validateTimeSeriesQuery(query, backend.name);
  return downsampleSeries(
    (q) => backend.readSeries(ref, q),
    checked,
    async () => Object.keys(await latestSeriesPoints(backend, ref)),
    backend.name,
  );
}

/** `run.getTimeSeriesDataFrame()`: Python's rows, built on the stream. */
export function runDataFrame(backend: SeriesBackend, ref: RunRef): Promise<TimeSeriesDataFrameRow[]> {
  return timeSeriesDataFrame(filterSeries(backend.readSeries(ref)));
}
