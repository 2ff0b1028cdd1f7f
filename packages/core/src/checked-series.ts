/**
 * The time-series part of the checked gateway: argument checks for appends and streamed reads, the
 * query applied again in core, and `latestTimeSeries` derived where a store does not provide it.
 */
import type { Backend } from "./backend.js";
import { BackendError, InvalidTypeError } from "./errors.js";
import {
  type CheckedSeriesQuery,
  filterSeries,
  latestSeriesPoints,
  validateSeriesQuery,
} from "./series-stream.js";
import type { RunRef, SeriesChunk, SeriesPoint, TimeSeriesWrite } from "./types.js";
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

/**
 * The gateway's `readSeries`: the query checked and copied before the store is asked (the first
 * `next()` rejects with `ValidationError`), every `next()` of the store's stream passed through
 * `step` (the closed gate and error mapping), and the result filtered again (a store MAY ignore the
 * query).
 */
export async function* checkedSeries(
  checkRef: () => RunRef,
  open: (ref: RunRef, query: CheckedSeriesQuery) => AsyncIterable<SeriesChunk>,
  query: unknown,
  backend: string,
  step: <T>(next: () => Promise<T>) => Promise<T>,
): AsyncGenerator<SeriesChunk> {
  const ref = checkRef();
  const checked = validateSeriesQuery(query, backend);
  const source = await step(async () => open(ref, checked)[Symbol.asyncIterator]());
  const guarded: AsyncIterable<SeriesChunk> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        step(async () => {
          const result = await source.next();
          return result.done ? result : { done: false, value: checkChunk(result.value, backend) };
        }),
      return: async (value?: unknown) => {
        await source.return?.(value);
        return { done: true, value: undefined };
      },
    }),
  };
  yield* filterSeries(guarded, checked);
}

/**
 * A chunk from a store, as the contract shapes it: `{ metric, steps, wallTimes, values }`, columns of
 * one length. Plain number arrays become Float64Arrays; anything else is the store's bug, reported
 * as a `BackendError` instead of a raw TypeError (or rows of garbage) further on.
 */
function checkChunk(value: unknown, backend: string): SeriesChunk {
  const chunk = value as Partial<Record<keyof SeriesChunk, unknown>> | null;
  if (typeof chunk === "object" && chunk !== null && typeof chunk.metric === "string") {
    const steps = columnOf(chunk.steps);
    const wallTimes = columnOf(chunk.wallTimes);
    const values = columnOf(chunk.values);
    if (steps && wallTimes && values && steps.length === wallTimes.length && steps.length === values.length) {
      if (steps === chunk.steps && wallTimes === chunk.wallTimes && values === chunk.values)
        return chunk as SeriesChunk;
      return { metric: chunk.metric, steps, wallTimes, values };
    }
  }
  const lengths = (["steps", "wallTimes", "values"] as const)
    .map((k) => `${k}: ${describeColumn(chunk?.[k])}`)
    .join(", ");
  throw new BackendError(
    `The ${backend} store's readSeries yielded a malformed chunk (metric: ${typeName(chunk?.metric)}, ${lengths}): ` +
      "a chunk is { metric, steps, wallTimes, values }, Float64Arrays of one length. This is a bug in the store.",
    { backend },
  );
}

function columnOf(value: unknown): Float64Array | undefined {
  if (value instanceof Float64Array) return value;
  if (Array.isArray(value) && value.every((x) => typeof x === "number")) return Float64Array.from(value);
  return undefined;
}

function describeColumn(value: unknown): string {
  return value instanceof Float64Array || Array.isArray(value)
    ? `${typeName(value)}(${value.length})`
    : typeName(value);
}

/** The store's `latestTimeSeries`, or the latest points derived from its stream. */
export function latestOf(raw: Backend, ref: RunRef): Promise<Record<string, SeriesPoint>> {
  return latestSeriesPoints(raw, ref);
}
