/**
 * The time-series part of the checked gateway: argument checks for appends and reads, the `metrics`
 * filter applied again in core, and `latestTimeSeries` derived where a store does not provide it.
 */
import type { Backend } from "./backend.js";
import { InvalidTypeError, ValidationError } from "./errors.js";
import { latestPoints } from "./series.js";
import type { RunRef, SeriesPoint, TimeSeriesWrite } from "./types.js";
import { copySeriesValues, isPlainObject, toWallTime, typeName, validateStep } from "./validation.js";

/** Checks and copies the writes of one `appendTimeSeries` call: the copies are what the store gets. */
export function checkSeriesWrites(writes: unknown): TimeSeriesWrite[] {
  if (!Array.isArray(writes)) {
    throw new InvalidTypeError(
      `appendTimeSeries takes an array of { step, wallTime, values }; got ${typeName(writes)}.`,
    );
  }
  const copies: TimeSeriesWrite[] = new Array(writes.length);
  for (let i = 0; i < writes.length; i++) {
    const write: unknown = writes[i];
    if (!isPlainObject(write)) {
      throw new InvalidTypeError(
        `Time-series write ${i} must be { step, wallTime, values }; got ${typeName(write)}.`,
      );
    }
    const step = write.step;
    validateStep(step);
    const wallTime = toWallTime(write.wallTime);
    copies[i] = { step, wallTime, values: copySeriesValues(write.values) };
  }
  return copies;
}

/** The `metrics` option of a series read: undefined, or an array of metric names (copied). */
export function checkMetricsFilter(options: unknown): { metrics?: string[] } {
  if (options === undefined) return {};
  if (!isPlainObject(options)) {
    throw new InvalidTypeError(`Series read options must be { metrics }; got ${typeName(options)}.`);
  }
  const metrics = options.metrics;
  if (metrics === undefined) return {};
  if (!Array.isArray(metrics) || metrics.some((m) => typeof m !== "string")) {
    throw new ValidationError("metrics must be an array of metric names.");
  }
  return { metrics: [...(metrics as string[])] };
}

/** Every point of the run, filtered to `metrics` again here (a store may ignore the filter). */
export async function readPoints(
  raw: Backend,
  ref: RunRef,
  options: { metrics?: string[] },
): Promise<SeriesPoint[]> {
  const points = await raw.readTimeSeries(ref, options.metrics ? { metrics: options.metrics } : undefined);
  if (!options.metrics) return points;
  const wanted = new Set(options.metrics);
  return points.every((p) => wanted.has(p.metric)) ? points : points.filter((p) => wanted.has(p.metric));
}

/** The store's `latestTimeSeries`, or the latest points derived from a full read. */
export async function latestOf(raw: Backend, ref: RunRef): Promise<Record<string, SeriesPoint>> {
  if (raw.latestTimeSeries) return raw.latestTimeSeries(ref);
  return latestPoints(await raw.readTimeSeries(ref));
}
