import { isExprunError, type SeriesQuery } from "@exprun/core";
import { encodeChunk, type Segment } from "./chunk-codec.js";
import type { VersionClock } from "./clock.js";
import type { LatestPoint } from "./experiment-state.js";
import { chunkKey } from "./keys.js";
import type { ResolvedOptions } from "./options.js";
import { SeriesReader } from "./series-read.js";
import type { S3Transport } from "./transport.js";

/** One chunk of one metric's points, as the stream yields them. */
export interface ColumnChunk {
  metric: string;
  steps: Float64Array;
  wallTimes: Float64Array;
  values: Float64Array;
}

/** What the series store needs from the experiment logs. */
export interface SeriesHost {
  /** Reads the run's log (the write barrier) and throws `NotFoundError` unless `inc` is its live creation. */
  requireLive(experiment: string, run: string, inc: string): Promise<void>;
  /** Folds a flushed segment's latest points into the run's summary (a delta, no barrier). */
  recordLatest(
    experiment: string,
    run: string,
    inc: string,
    latest: Record<string, LatestPoint>,
  ): Promise<void>;
  /** The folder of one incarnation's chunks. */
  prefix(experiment: string, run: string, inc: string): string;
}

interface PendingChunk {
  key: string;
  body: Uint8Array;
  latest: Record<string, LatestPoint>;
}

class MetricBuffer {
  steps: number[] = [];
  wallTimes: number[] = [];
  values: number[] = [];
}

interface RunBuffer {
  experiment: string;
  run: string;
  inc: string;
  /** Metrics in the order they were first written since the last flush. */
  metrics: Map<string, MetricBuffer>;
  points: number;
  /** Latest points of chunks already stored whose summary PUT failed: the next flush writes them. */
  unsummarised: Record<string, LatestPoint> | undefined;
  /**
   * Chunks whose PUT failed, kept as the exact objects: a failed PUT may have been stored (its
   * answer lost), so the next flush writes the same key and bytes again, never the points anew.
   */
  unstored: PendingChunk[];
  /** Flushes of one buffer run one after another. */
  chain: Promise<void>;
}

/**
 * Time series as chunk objects under each run incarnation's folder. Points are buffered per run
 * incarnation and written as one chunk at a size threshold, on a timer, on `flush()`/`close()`, and
 * before any read of the run. Each flush first reads the run's log: that orders the chunk after
 * every write acknowledged before it (same-step points follow causality, not clocks) and refuses a
 * flush to a run someone deleted. Reads stream chunks in version order with a bounded prefetch.
 */
export class SeriesStore {
  private readonly buffers = new Map<string, RunBuffer>();
  private readonly reader: SeriesReader;

  constructor(
    private readonly transport: S3Transport,
    private readonly options: ResolvedOptions,
    private readonly clock: VersionClock,
    private readonly host: SeriesHost,
  ) {
    this.reader = new SeriesReader(transport, options, clock);
  }

  private static id(experiment: string, run: string, inc: string): string {
    return `${experiment}/${run}/${inc}`;
  }

  /** Buffers points of one write; writes a chunk when the buffer reaches `seriesChunkPoints`. */
  async append(
    experiment: string,
    run: string,
    inc: string,
    writes: readonly { step: number; wallTime: number; values: Record<string, number> }[],
  ): Promise<void> {
    const id = SeriesStore.id(experiment, run, inc);
    let buffer = this.buffers.get(id);
    if (buffer === undefined) {
      buffer = {
        experiment,
        run,
        inc,
        metrics: new Map(),
        points: 0,
        unsummarised: undefined,
        unstored: [],
        chain: Promise.resolve(),
      };
      this.buffers.set(id, buffer);
    }
    for (const write of writes) {
      for (const [metric, value] of Object.entries(write.values)) {
        let column = buffer.metrics.get(metric);
        if (column === undefined) {
          column = new MetricBuffer();
          buffer.metrics.set(metric, column);
        }
        column.steps.push(write.step);
        column.wallTimes.push(write.wallTime);
        column.values.push(value);
        buffer.points++;
      }
    }
    if (buffer.points >= this.options.seriesChunkPoints) await this.flushBuffer(buffer);
  }

  hasBuffered(): boolean {
    for (const buffer of this.buffers.values()) if (holdsWrites(buffer)) return true;
    return false;
  }

  /** Drops buffers of a run or experiment this backend deleted (their points went with it). */
  discard(experiment: string, run?: string): void {
    for (const [id, buffer] of this.buffers) {
      if (buffer.experiment === experiment && (run === undefined || buffer.run === run))
        this.buffers.delete(id);
    }
  }

  /** Flushes every buffer (of one experiment); rejects with the first failure after trying all. */
  async flushAll(experiment?: string): Promise<void> {
    const targets = [...this.buffers.values()].filter(
      (b) => experiment === undefined || b.experiment === experiment,
    );
    const results = await Promise.allSettled(targets.map((b) => this.flushBuffer(b)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Flushes this backend's buffer of one run creation; resolves whether it held points. */
  async flushIncarnation(experiment: string, run: string, inc: string): Promise<boolean> {
    const buffer = this.buffers.get(SeriesStore.id(experiment, run, inc));
    if (buffer === undefined || !holdsWrites(buffer)) {
      await buffer?.chain;
      return false;
    }
    await this.flushBuffer(buffer);
    return true;
  }

  /**
   * Writes the buffer as one chunk plus a summary delta. On failure the points stay buffered, ahead
   * of points appended meanwhile; when the run incarnation is gone they are dropped (they were
   * deleted with their run) and the flush rejects with `NotFoundError`.
   */
  private flushBuffer(buffer: RunBuffer): Promise<void> {
    const next = buffer.chain.then(async () => {
      if (!holdsWrites(buffer)) return;
      const taken = buffer.metrics;
      const takenPoints = buffer.points;
      buffer.metrics = new Map();
      buffer.points = 0;
      try {
        await this.host.requireLive(buffer.experiment, buffer.run, buffer.inc);
      } catch (error) {
        if (isExprunError(error, "NOT_FOUND")) {
          // Everything buffered for this incarnation went with its run.
          buffer.metrics = new Map();
          buffer.points = 0;
          buffer.unsummarised = undefined;
          buffer.unstored = [];
          this.buffers.delete(SeriesStore.id(buffer.experiment, buffer.run, buffer.inc));
          throw error;
        }
        this.restore(buffer, taken, takenPoints);
        throw error;
      }
      let latest = buffer.unsummarised ?? {};
      const chunks = buffer.unstored;
      buffer.unstored = [];
      for (const pending of chunks) latest = mergeLatest(latest, pending.latest);
      if (takenPoints > 0) {
        const v = this.clock.next();
        const segment: Segment = { v, metrics: [] };
        for (const [name, column] of taken) {
          segment.metrics.push({
            name,
            steps: Float64Array.from(column.steps),
            wallTimes: Float64Array.from(column.wallTimes),
            values: Float64Array.from(column.values),
          });
        }
        const own = latestOf(segment);
        latest = mergeLatest(latest, own);
        const prefix = this.host.prefix(buffer.experiment, buffer.run, buffer.inc);
        chunks.push({
          key: chunkKey(prefix, v),
          body: encodeChunk({ inc: buffer.inc, segs: [segment] }),
          latest: own,
        });
      }
      // The chunks and their summary are written at once. A chunk whose PUT failed is written again
      // by the next flush as the same object (same key, same bytes: harmless if the failed PUT was
      // stored after all), never as new points, which would deliver them twice.
      const [summarised, ...stored] = await Promise.allSettled([
        this.host.recordLatest(buffer.experiment, buffer.run, buffer.inc, latest),
        ...chunks.map((c) => this.transport.put(c.key, c.body, { contentType: "application/octet-stream" })),
      ]);
      const failed = chunks.filter((_, i) => stored[i]?.status === "rejected");
      buffer.unstored = [...failed, ...buffer.unstored];
      // A summary that failed is written by the next flush; one written for a chunk that failed
      // is harmless (the chunk is written again) and written again with it.
      buffer.unsummarised =
        summarised.status === "rejected" ? mergeLatest(latest, buffer.unsummarised ?? {}) : undefined;
      const firstFailure = stored.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (firstFailure) throw firstFailure.reason;
      if (summarised.status === "rejected") throw summarised.reason;
    });
    buffer.chain = next.catch(() => undefined);
    return next;
  }

  /** Puts taken points back in front of those appended since. */
  private restore(buffer: RunBuffer, taken: Map<string, MetricBuffer>, takenPoints: number): void {
    const merged = new Map(taken);
    for (const [name, column] of buffer.metrics) {
      const before = merged.get(name);
      if (before === undefined) merged.set(name, column);
      else {
        // A loop, not push(...column): a buffer kept through a long outage can outgrow the stack.
        for (let i = 0; i < column.steps.length; i++) {
          before.steps.push(column.steps[i] as number);
          before.wallTimes.push(column.wallTimes[i] as number);
          before.values.push(column.values[i] as number);
        }
      }
    }
    buffer.metrics = merged;
    buffer.points += takenPoints;
  }

  /** Streams the chunks of one run creation; see `SeriesReader`. */
  stream(
    experiment: string,
    run: string,
    inc: string,
    query: SeriesQuery = {},
    listing?: Promise<{ keys: string[] }>,
  ): AsyncGenerator<ColumnChunk> {
    return this.reader.stream(this.host.prefix(experiment, run, inc), inc, query, listing);
  }

  /** Whether this backend holds unwritten points of any creation of the run. */
  buffersRun(experiment: string, run: string): boolean {
    for (const buffer of this.buffers.values()) {
      if (buffer.experiment === experiment && buffer.run === run && holdsWrites(buffer)) return true;
    }
    return false;
  }
}

/** Whether a buffer holds anything not yet durable: points, chunks to write again, a summary. */
function holdsWrites(buffer: RunBuffer): boolean {
  return buffer.points > 0 || buffer.unstored.length > 0 || buffer.unsummarised !== undefined;
}

/** Per metric, the later of two latest points (larger step, then later write). */
function mergeLatest(
  a: Record<string, LatestPoint>,
  b: Record<string, LatestPoint>,
): Record<string, LatestPoint> {
  const out: Record<string, LatestPoint> = Object.create(null);
  for (const [metric, point] of Object.entries(a)) out[metric] = point;
  for (const [metric, point] of Object.entries(b)) {
    const current = out[metric];
    if (!current || point.step > current.step || (point.step === current.step && point.o > current.o))
      out[metric] = point;
  }
  return out;
}

/** The latest point per metric of one flushed segment: largest step, then last written. */
function latestOf(segment: Segment): Record<string, LatestPoint> {
  const latest: Record<string, LatestPoint> = Object.create(null);
  for (const metric of segment.metrics) {
    let best = -1;
    for (let i = 0; i < metric.steps.length; i++) {
      if (best === -1 || (metric.steps[i] as number) >= (metric.steps[best] as number)) best = i;
    }
    if (best === -1) continue;
    latest[metric.name] = {
      step: metric.steps[best] as number,
      wallTime: metric.wallTimes[best] as number,
      value: metric.values[best] as number,
      o: `${segment.v}:${String(best).padStart(8, "0")}`,
    };
  }
  return latest;
}
