import { BackendError, type SeriesPoint } from "@exprun/core";
import type { VersionClock } from "./clock.js";
import { decode, encode } from "./codec.js";
import type { LatestPoint } from "./experiment-state.js";
import { parseChunkKey } from "./keys.js";
import { type ResolvedOptions, S3_BACKEND_NAME } from "./options.js";
import { mapLimit, type S3Transport } from "./transport.js";

/** Points of one buffered write batch: `[metric, step, wallTime, value]`, in write order. */
type RawPoint = [string, number, number, number];

/** One flush: its version orders it against every other flush of the run. */
interface Segment {
  v: string;
  p: RawPoint[];
}

/** A chunk object: the run incarnation it belongs to and one or more segments. */
interface Chunk {
  inc: string;
  segs: Segment[];
}

interface Buffer {
  experiment: string;
  run: string;
  inc: string;
  points: RawPoint[];
  /** Flushes of this run run one after another. */
  chain: Promise<void>;
}

/** Reports a flushed chunk's latest point per metric, to be folded into the experiment's summary. */
export type LatestSink = (
  experiment: string,
  run: string,
  latest: Record<string, LatestPoint>,
) => Promise<void>;

const MAX_READ_ATTEMPTS = 6;

/**
 * Time series as chunk objects, `series/<run>/<version>.json`. Points are buffered per run and
 * written as one chunk at a size threshold, on a timer, on `flush()`/`close()`, and before any read
 * of the run. Each chunk is immutable; a run with many chunks is rewritten as one chunk holding the
 * same segments (versions kept, so write order survives), then the folded chunks are deleted.
 */
export class SeriesStore {
  private readonly buffers = new Map<string, Buffer>();
  private readonly cache = new Map<string, Chunk | null>();

  constructor(
    private readonly transport: S3Transport,
    private readonly options: ResolvedOptions,
    private readonly clock: VersionClock,
    private readonly seriesPrefix: (experiment: string, run: string) => string,
    private readonly onLatest: LatestSink,
  ) {}

  private static id(experiment: string, run: string): string {
    return `${experiment}/${run}`;
  }

  /** Buffers points; writes a chunk when the run's buffer reaches `seriesChunkPoints`. */
  async append(experiment: string, run: string, inc: string, points: RawPoint[]): Promise<void> {
    const id = SeriesStore.id(experiment, run);
    let buffer = this.buffers.get(id);
    if (buffer === undefined || buffer.inc !== inc) {
      if (buffer !== undefined) await this.flushRun(experiment, run);
      buffer = { experiment, run, inc, points: [], chain: Promise.resolve() };
      this.buffers.set(id, buffer);
    }
    for (const point of points) buffer.points.push(point);
    if (buffer.points.length >= this.options.seriesChunkPoints) await this.flushRun(experiment, run);
  }

  hasBuffered(): boolean {
    for (const buffer of this.buffers.values()) if (buffer.points.length > 0) return true;
    return false;
  }

  /** Drops the buffer of a deleted run (its points belong to a run that no longer exists). */
  discard(experiment: string, run?: string): void {
    for (const [id, buffer] of this.buffers) {
      if (buffer.experiment === experiment && (run === undefined || buffer.run === run))
        this.buffers.delete(id);
    }
  }

  async flushAll(experiment?: string): Promise<void> {
    const targets = [...this.buffers.values()].filter(
      (b) => experiment === undefined || b.experiment === experiment,
    );
    const results = await Promise.allSettled(targets.map((b) => this.flushRun(b.experiment, b.run)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Writes the run's buffered points as one chunk; on failure they stay buffered. */
  flushRun(experiment: string, run: string): Promise<void> {
    const buffer = this.buffers.get(SeriesStore.id(experiment, run));
    if (buffer === undefined) return Promise.resolve();
    const next = buffer.chain.then(async () => {
      if (buffer.points.length === 0) return;
      const points = buffer.points;
      buffer.points = [];
      try {
        const v = this.clock.next();
        const chunk: Chunk = { inc: buffer.inc, segs: [{ v, p: points }] };
        await Promise.all([
          this.transport.put(`${this.seriesPrefix(experiment, run)}${v}.json`, encode(chunk)),
          this.onLatest(experiment, run, latestOf(v, buffer.inc, points)),
        ]);
      } catch (error) {
        buffer.points = points.concat(buffer.points);
        throw error;
      }
    });
    buffer.chain = next.catch(() => undefined);
    return next;
  }

  /** Every point of the run incarnation `inc`, in write order (after flushing this backend's buffer). */
  async read(experiment: string, run: string, inc: string): Promise<SeriesPoint[]> {
    await this.flushRun(experiment, run);
    const prefix = this.seriesPrefix(experiment, run);
    for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
      const { keys } = await this.transport.list(prefix);
      const chunkKeys = keys.filter((key) => {
        const v = parseChunkKey(prefix, key);
        if (v !== undefined) this.clock.observe(v);
        return v !== undefined;
      });
      const listed = new Set(chunkKeys);
      for (const key of this.cache.keys())
        if (key.startsWith(prefix) && !listed.has(key)) this.cache.delete(key);
      const chunks = await mapLimit(chunkKeys, this.options.concurrency, (key) => this.load(key));
      if (chunks.some((chunk) => chunk === undefined)) continue;
      const segments = new Map<string, Segment>();
      const foldable: string[] = [];
      chunkKeys.forEach((key, index) => {
        const chunk = chunks[index];
        foldable.push(key);
        if (!chunk || chunk.inc !== inc) return;
        for (const segment of chunk.segs) segments.set(segment.v, segment);
      });
      const ordered = [...segments.values()].sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
      if (chunkKeys.length >= this.options.seriesCompactThreshold) {
        await this.compact(prefix, inc, ordered, foldable).catch(() => undefined);
      }
      const out: SeriesPoint[] = [];
      for (const segment of ordered) {
        for (const [metric, step, wallTime, value] of segment.p) out.push({ metric, step, wallTime, value });
      }
      return out;
    }
    throw new BackendError(
      `The time series at ${prefix} kept changing while it was read (chunks vanished ${MAX_READ_ATTEMPTS} times). Retry the call.`,
      { backend: S3_BACKEND_NAME },
    );
  }

  private async load(key: string): Promise<Chunk | null | undefined> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const body = await this.transport.get(key);
    if (body === undefined) return undefined;
    let chunk: Chunk | null;
    try {
      chunk = decode<Chunk>(body);
      if (typeof chunk?.inc !== "string" || !Array.isArray(chunk.segs))
        throw new Error("not a time-series chunk");
    } catch (error) {
      this.options.onCorruptObject(key, error);
      chunk = null;
    }
    this.cache.set(key, chunk);
    return chunk;
  }

  private async compact(prefix: string, inc: string, segments: Segment[], folded: string[]): Promise<void> {
    const readable = folded.filter((key) => this.cache.get(key) !== null);
    const v = this.clock.next();
    const key = `${prefix}${v}.json`;
    const chunk: Chunk = { inc, segs: segments };
    await this.transport.put(key, encode(chunk));
    this.cache.set(key, chunk);
    await this.transport.deleteMany(readable);
    for (const done of readable) this.cache.delete(done);
  }
}

/** The latest point per metric of one flushed segment: largest step, then last written. */
function latestOf(v: string, inc: string, points: RawPoint[]): Record<string, LatestPoint> {
  const latest: Record<string, LatestPoint> = Object.create(null);
  points.forEach(([metric, step, wallTime, value], index) => {
    const current = latest[metric];
    if (current === undefined || step >= current.step) {
      latest[metric] = { step, wallTime, value, o: `${v}:${String(index).padStart(8, "0")}`, inc };
    }
  });
  return latest;
}

export type { RawPoint };
