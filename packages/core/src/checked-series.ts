/**
 * The time-series part of the checked gateway: argument checks for appends and streamed reads, the
 * query applied again in core, and `latestTimeSeries` derived where a store does not provide it.
 */
import type { Backend } from "./backend.js";
import { InvalidTypeError } from "./errors.js";
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
      next: () => step(() => source.next()),
      return: async (value?: unknown) => {
        await source.return?.(value);
        return { done: true, value: undefined };
      },
    }),
  };
  yield* filterSeries(guarded, checked);
}

/** The store's `latestTimeSeries`, or the latest points derived from its stream. */
export function latestOf(raw: Backend, ref: RunRef): Promise<Record<string, SeriesPoint>> {
  return latestSeriesPoints(raw, ref);
}
