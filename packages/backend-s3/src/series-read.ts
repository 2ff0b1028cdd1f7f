import { BackendError, corruptSeriesError, type SeriesQuery } from "@exprun/core";
import {
  type Chunk,
  ChunkError,
  chunkPoints,
  decodeChunk,
  encodeChunk,
  type Segment,
} from "./chunk-codec.js";
import type { VersionClock } from "./clock.js";
import { chunkKey, parseChunkKey } from "./keys.js";
import { type ResolvedOptions, S3_BACKEND_NAME } from "./options.js";
import type { ColumnChunk } from "./series.js";
import type { S3Transport } from "./transport.js";

const MAX_READ_ATTEMPTS = 6;

const byVersion = (a: { v: string }, b: { v: string }) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0);

/** Reads the chunks under one run creation's folder as a stream, and folds small ones. */
export class SeriesReader {
  constructor(
    private readonly transport: S3Transport,
    private readonly options: ResolvedOptions,
    private readonly clock: VersionClock,
  ) {}

  /**
   * Every point of the run incarnation `inc` as column chunks: segments in version order, metrics
   * within a segment in the order they were first written, points of a metric in write order. At
   * most `concurrency` chunk GETs are in flight ahead of the consumer; the stream holds only
   * those and the chunk it is yielding (plus small chunks kept for compaction).
   */
  async *stream(
    prefix: string,
    inc: string,
    query: SeriesQuery = {},
    listing?: Promise<{ keys: string[] }>,
  ): AsyncGenerator<ColumnChunk> {
    const wanted = query.metrics ? new Set(query.metrics) : undefined;
    const from = query.steps?.from ?? Number.NEGATIVE_INFINITY;
    const to = query.steps?.to ?? Number.POSITIVE_INFINITY;
    let lastEmitted = "";
    let delivered = 0;
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      // A listing the caller started early (of the run's folder) serves the first attempt.
      const { keys } = attempt === 0 && listing ? await listing : await this.transport.list(prefix);
      const entries = keys.flatMap((key) => {
        const parsed = parseChunkKey(prefix, key);
        if (!parsed) return [];
        this.clock.observe(parsed.max);
        return [{ key, ...parsed }];
      });
      const fetches = new Map<number, Promise<Uint8Array | undefined>>();
      const start = (index: number) => {
        const entry = entries[index];
        if (entry === undefined || fetches.has(index)) return;
        const promise = this.transport.getBytes(entry.key);
        promise.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
        fetches.set(index, promise);
      };
      const small: { key: string; min: string; max: string; chunk: Chunk; points: number }[] = [];
      let keptPoints = 0;
      const pending: Segment[] = [];
      let vanished = false;
      for (let index = 0; index < entries.length; index++) {
        for (let ahead = index; ahead < Math.min(entries.length, index + this.options.concurrency); ahead++)
          start(ahead);
        const entry = entries[index] as (typeof entries)[number];
        const bytes = await fetches.get(index);
        fetches.delete(index);
        if (bytes === undefined) {
          vanished = true; // folded by a compaction since the listing: list again
          break;
        }
        let chunk: Chunk;
        try {
          chunk = decodeChunk(bytes);
          if (chunk.inc !== inc)
            throw new ChunkError(`the chunk belongs to incarnation ${chunk.inc}, not ${inc}`, 8);
        } catch (error) {
          this.options.onCorruptObject(entry.key, error);
          throw this.corruptChunk(entry.key, error, delivered);
        }
        const points = chunkPoints(chunk);
        // Small chunks are kept for compaction, up to a bound (a later read folds the rest).
        if (points < this.options.seriesChunkPoints / 2 && keptPoints < this.options.seriesChunkPoints * 16) {
          small.push({ ...entry, chunk, points });
          keptPoints += points;
        }
        for (const segment of chunk.segs) {
          if (segment.v <= lastEmitted || pending.some((p) => p.v === segment.v)) continue;
          pending.push(segment);
        }
        pending.sort(byVersion);
        // Segments below the next chunk's smallest version can no longer be overtaken.
        const bound = entries[index + 1]?.min;
        while (pending.length > 0 && (bound === undefined || (pending[0] as Segment).v < bound)) {
          const segment = pending.shift() as Segment;
          lastEmitted = segment.v;
          for (const metric of segment.metrics) {
            if (wanted && !wanted.has(metric.name)) continue;
            const out = selectSteps(metric, from, to);
            delivered += out.steps.length;
            if (out.steps.length > 0) yield out;
          }
        }
      }
      if (vanished) continue;
      if (small.length >= this.options.seriesCompactThreshold) await this.compact(prefix, inc, small);
      return;
    }
    throw new BackendError(
      `The time series at s3://${this.options.bucket}/${prefix} kept changing while it was read (chunks vanished ${MAX_READ_ATTEMPTS} times); ${delivered} points were delivered. Retry the read.`,
      { backend: S3_BACKEND_NAME },
    );
  }

  private corruptChunk(key: string, error: unknown, delivered: number): BackendError {
    return corruptSeriesError({
      backend: S3_BACKEND_NAME,
      location: `s3://${this.options.bucket}/${key}`,
      offset: error instanceof ChunkError ? error.offset : 0,
      delivered,
      reason: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }

  /**
   * Rewrites neighbouring small chunks (timer flushes) as one chunk of up to `seriesChunkPoints`
   * points named for the versions it spans, then deletes them. The new chunk's name is a function of
   * what it holds, so racing compactors write the same object; readers skip segments they already
   * delivered, so a chunk read both before and after being folded is delivered once.
   */
  private async compact(
    prefix: string,
    inc: string,
    small: { key: string; min: string; max: string; chunk: Chunk; points: number }[],
  ): Promise<void> {
    const groups: (typeof small)[] = [];
    let group: typeof small = [];
    let points = 0;
    for (const entry of small) {
      if (group.length > 0 && points + entry.points > this.options.seriesChunkPoints) {
        groups.push(group);
        group = [];
        points = 0;
      }
      group.push(entry);
      points += entry.points;
    }
    groups.push(group);
    try {
      for (const members of groups) {
        if (members.length < 2) continue;
        const segs = members.flatMap((m) => m.chunk.segs).sort(byVersion);
        const min = (segs[0] as Segment).v;
        const max = (segs[segs.length - 1] as Segment).v;
        await this.transport.put(chunkKey(prefix, min, max), encodeChunk({ inc, segs }), {
          contentType: "application/octet-stream",
        });
        await this.transport.deleteMany(members.map((m) => m.key));
      }
    } catch (error) {
      this.options.onWarning(
        `[exprun] [s3] Compacting the time series at s3://${this.options.bucket}/${prefix} failed; a later read tries again: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    }
  }
}

function selectSteps(metric: Segment["metrics"][number], from: number, to: number): ColumnChunk {
  const { name, steps, wallTimes, values } = metric;
  if (from === Number.NEGATIVE_INFINITY && to === Number.POSITIVE_INFINITY) {
    return { metric: name, steps, wallTimes, values };
  }
  const keep: number[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as number;
    if (step >= from && step <= to) keep.push(i);
  }
  if (keep.length === steps.length) return { metric: name, steps, wallTimes, values };
  const pick = (source: Float64Array) => Float64Array.from(keep, (i) => source[i] as number);
  return { metric: name, steps: pick(steps), wallTimes: pick(wallTimes), values: pick(values) };
}
