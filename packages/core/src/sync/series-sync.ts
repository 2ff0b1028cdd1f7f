import type { CheckedBackend } from "../checked-backend.js";
import type { RunRef, SeriesChunk, SeriesQuery, TimeSeriesWrite } from "../types.js";

/**
 * Reads a run's points as chunks (core's `SeriesChunk`); called several times, each call a fresh
 * stream. It MAY ignore the query (the sync filters again), as a store may.
 */
export type SeriesReader = (query?: SeriesQuery) => AsyncIterable<SeriesChunk>;

/** Steps per comparison bucket: the unit the target is re-read in when a part of a series differs. */
export const SYNC_BUCKET_STEPS = 4096;
/** Points per `appendTimeSeries` call. */
const WRITE_BATCH = 5000;

/**
 * Brings the target's series to the source's, writing only what is missing or different, with memory
 * bounded by a bucket of steps (not the series):
 * 1. one pass over each side folds every (metric, bucket of {@link SYNC_BUCKET_STEPS} steps) into a
 *    count and two order-free hashes of its points;
 * 2. a bucket the target does not have at all is copied by streaming the source (consecutive such
 *    buckets in one read), chunk by chunk;
 * 3. a bucket both have but with other points, or where either side wrote a step twice (whose last
 *    write the hashes cannot see), is read from both, settled (the last write of a step wins) and only
 *    the source's points that the target lacks or holds with another value or wall time are written.
 * A second sync finds every bucket equal and writes nothing. With `fresh` (a run just created) the
 * target is not read at all. Resolves with the number of points written (or, with `dryRun`, that
 * would be written).
 */
export async function syncSeries(
  source: SeriesReader,
  target: SeriesReader,
  write: (writes: TimeSeriesWrite[]) => Promise<void>,
  options: { fresh: boolean; dryRun: boolean },
): Promise<number> {
  const writer = new BatchWriter(write, options.dryRun);
  if (options.fresh) {
    for await (const chunk of source()) {
      writer.addChunk(chunk);
      await writer.drain();
    }
    return writer.finish();
  }
  const [wanted, have] = [await digest(source), await digest(target)];
  for (const [metric, buckets] of wanted) {
    const present = have.get(metric);
    const missingRanges: [number, number][] = [];
    const mixed: number[] = [];
    for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
      const theirs = present?.get(bucket);
      if (!theirs || theirs.count === 0) {
        const last = missingRanges[missingRanges.length - 1];
        if (last && last[1] === bucket - 1) last[1] = bucket;
        else missingRanges.push([bucket, bucket]);
      } else if (!sameDigest(buckets.get(bucket)!, theirs)) mixed.push(bucket);
    }
    for (const [first, last] of missingRanges) {
      const steps = { from: first * SYNC_BUCKET_STEPS, to: (last + 1) * SYNC_BUCKET_STEPS - 1 };
      if (options.dryRun) {
        for (let b = first; b <= last; b++) writer.count(buckets.get(b)?.count ?? 0);
        continue;
      }
      for await (const chunk of source({ metrics: [metric], steps })) {
        writer.addChunk(chunk, metric, steps);
        await writer.drain();
      }
    }
    for (const bucket of mixed) {
      const steps = { from: bucket * SYNC_BUCKET_STEPS, to: (bucket + 1) * SYNC_BUCKET_STEPS - 1 };
      const theirs = await settled(target, metric, steps);
      for (const [step, point] of await settled(source, metric, steps)) {
        const t = theirs.get(step);
        if (!t || !Object.is(t.value, point.value) || t.wallTime !== point.wallTime)
          writer.add(metric, step, point.wallTime, point.value);
      }
      await writer.drain();
    }
  }
  return writer.finish();
}

interface BucketDigest {
  count: number;
  sum: number;
  xor: number;
  /** One bit per step of the bucket ({@link SYNC_BUCKET_STEPS} bits, 512 bytes): the steps seen. */
  seen: Uint8Array;
  /**
   * A step came more than once: which write is the last one matters, and the order-free hashes cannot
   * tell, so such a bucket is always compared point by point.
   */
  repeats: boolean;
}

function sameDigest(a: BucketDigest, b: BucketDigest): boolean {
  return !a.repeats && !b.repeats && a.count === b.count && a.sum === b.sum && a.xor === b.xor;
}

/**
 * Per metric and bucket: how many points, two hashes that do not depend on their order, and whether a
 * step came twice (then the order matters).
 */
async function digest(read: SeriesReader): Promise<Map<string, Map<number, BucketDigest>>> {
  const out = new Map<string, Map<number, BucketDigest>>();
  for await (const chunk of read()) {
    let buckets = out.get(chunk.metric);
    if (!buckets) {
      buckets = new Map();
      out.set(chunk.metric, buckets);
    }
    for (let i = 0; i < chunk.steps.length; i++) {
      const step = chunk.steps[i]!;
      const bucket = Math.floor(step / SYNC_BUCKET_STEPS);
      let d = buckets.get(bucket);
      if (!d) {
        d = { count: 0, sum: 0, xor: 0, seen: new Uint8Array(SYNC_BUCKET_STEPS / 8), repeats: false };
        buckets.set(bucket, d);
      }
      const bit = step - bucket * SYNC_BUCKET_STEPS;
      const mask = 1 << (bit & 7);
      if (d.seen[bit >> 3]! & mask) d.repeats = true;
      else d.seen[bit >> 3]! |= mask;
      const h = pointHash(step, chunk.wallTimes[i]!, chunk.values[i]!);
      d.count++;
      d.sum = (d.sum + h) >>> 0;
      d.xor = (d.xor ^ h) >>> 0;
    }
  }
  return out;
}

const scratch = new DataView(new ArrayBuffer(24));

/** FNV-1a over the three numbers' IEEE bytes (NaN made canonical, so every NaN hashes alike). */
function pointHash(step: number, wallTime: number, value: number): number {
  scratch.setFloat64(0, step);
  scratch.setFloat64(8, wallTime);
  scratch.setFloat64(16, Number.isNaN(value) ? Number.NaN : value);
  let h = 0x811c9dc5;
  for (let i = 0; i < 24; i++) h = Math.imul(h ^ scratch.getUint8(i), 0x01000193);
  return h >>> 0;
}

/** One metric's points in a step range, the last write of each step kept. */
async function settled(
  read: SeriesReader,
  metric: string,
  steps: { from: number; to: number },
): Promise<Map<number, { wallTime: number; value: number }>> {
  const out = new Map<number, { wallTime: number; value: number }>();
  for await (const chunk of read({ metrics: [metric], steps })) {
    if (chunk.metric !== metric) continue;
    for (let i = 0; i < chunk.steps.length; i++) {
      const step = chunk.steps[i]!;
      if (step >= steps.from && step <= steps.to)
        out.set(step, { wallTime: chunk.wallTimes[i]!, value: chunk.values[i]! });
    }
  }
  return out;
}

/**
 * Points gathered into `appendTimeSeries` calls of {@link WRITE_BATCH}, in the order they came. The
 * caller awaits {@link BatchWriter.drain} after each chunk, so at most a batch and a chunk are held.
 */
class BatchWriter {
  #pending: TimeSeriesWrite[] = [];
  #written = 0;
  readonly #write: (writes: TimeSeriesWrite[]) => Promise<void>;
  readonly #dryRun: boolean;

  constructor(write: (writes: TimeSeriesWrite[]) => Promise<void>, dryRun: boolean) {
    this.#write = write;
    this.#dryRun = dryRun;
  }

  count(points: number): void {
    this.#written += points;
  }

  add(metric: string, step: number, wallTime: number, value: number): void {
    this.#written++;
    if (!this.#dryRun) this.#pending.push({ step, wallTime, values: { [metric]: value } });
  }

  /** Adds a chunk's points (only `metric`'s, within `steps`, when given: a reader may ignore a range). */
  addChunk(chunk: SeriesChunk, metric?: string, steps?: { from: number; to: number }): void {
    if (metric !== undefined && chunk.metric !== metric) return;
    for (let i = 0; i < chunk.steps.length; i++) {
      const step = chunk.steps[i]!;
      if (steps && (step < steps.from || step > steps.to)) continue;
      this.add(chunk.metric, step, chunk.wallTimes[i]!, chunk.values[i]!);
    }
  }

  /** Writes the full batches gathered so far; with `all`, the rest too. */
  async drain(all = false): Promise<void> {
    while (this.#pending.length >= WRITE_BATCH || (all && this.#pending.length > 0)) {
      await this.#write(this.#pending.splice(0, WRITE_BATCH));
    }
  }

  async finish(): Promise<number> {
    await this.drain(true);
    return this.#written;
  }
}

/** A checked backend's series of one run as a {@link SeriesReader} (its `readSeries`, streamed). */
export function backendSeries(backend: CheckedBackend, ref: RunRef): SeriesReader {
  return (query) => backend.readSeries(ref, query);
}
