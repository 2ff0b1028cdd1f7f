import type { RunRef, SeriesPoint, TimeSeriesWrite } from "@exprun/core";
import { NotFoundError } from "@exprun/core";
import { appendData, appendDataSync, isMissing, syncFile, uid } from "./fsio.js";
import { encodeLatestRecord } from "./runs-log.js";
import { type ChunkIds, RunBuffer } from "./series.js";
import { type SeriesChunk, type SeriesQuery, SeriesReader } from "./series-read.js";
import { LIMITS } from "./series-source.js";
import { type FileStore, incarnationOf, runNotFound } from "./store.js";

export interface SeriesOptions {
  bufferBytes: number;
  flushIntervalMs: number;
}

/** Readers hold a chunk whole: chunks stay this small whatever the buffer size. */
const MAX_CHUNK_BYTES = 16 << 20;
const DONE: Promise<void> = Promise.resolve();
const live = new Set<SeriesStore>();
let exitHooked = false;

/** On a normal exit, append what is still buffered (synchronously: nothing async runs after `exit`). */
function flushAllOnExit(): void {
  for (const store of live) store.flushOnExit();
}

const runKey = (experiment: string, run: string) => `${experiment}\u0000${run}`;
const incarnationKey = (experiment: string, run: string, incarnation: string) =>
  `${experiment}\u0000${run}\u0000${incarnation}`;

/**
 * Buffers time-series points per run incarnation and appends them in framed chunks: one `writev(2)`
 * per chunk on the incarnation's `timeseries.jsonl`, then one `latest` record on the experiment's
 * `runs.jsonl` so listings get each series' latest point without opening per-run files. Chunks are
 * appended when a buffer passes `bufferBytes`, every `flushIntervalMs`, before reads, and (fsynced) at
 * `flush()`, at a run's state change (`endRun`) and at `close()`.
 *
 * A failed append keeps its chunk (and every later one) for the next flush, so a flush never resolves
 * with points missing and every flush fails while the cause lasts; the timer's failures are retried,
 * never swallowed with the points. Points of an incarnation deleted meanwhile are never written
 * anywhere: the flush that finds it gone rejects with `NotFoundError`, and they are dropped.
 */
export class SeriesStore {
  private readonly buffers = new Map<string, RunBuffer>();
  /** For refs without an incarnation: the buffer of the incarnation this backend resolved last. */
  private readonly current = new Map<string, RunBuffer>();
  /** Deleted incarnations the timer found, reported by the next `flush()`/`close()`. */
  private deaths: NotFoundError[] = [];
  private readonly ids: ChunkIds = { writer: uid(), next: 0 };
  /** The buffer the last append went to, and how it was addressed; cleared whenever buffers change. */
  private last:
    | { experiment: string; run: string; incarnation: string | undefined; buffer: RunBuffer }
    | undefined;
  private readonly chunkBytes: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: FileStore,
    private readonly options: SeriesOptions,
  ) {
    this.chunkBytes = Math.max(1, Math.min(options.bufferBytes, MAX_CHUNK_BYTES));
    live.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on("exit", flushAllOnExit);
    }
    if (options.flushIntervalMs > 0) {
      this.timer = setInterval(() => this.flushInBackground(), options.flushIntervalMs);
      this.timer.unref();
    }
  }

  private flushInBackground(): void {
    for (const buffer of this.buffers.values()) {
      if (!buffer.pending) continue;
      this.flushBuffer(buffer, false).catch((error: unknown) => {
        // The points stay buffered (or, for a deleted run, the next flush() reports it).
        if (error instanceof NotFoundError) this.deaths.push(error);
      });
    }
  }

  /** Not `async`: the common case (the run's buffer exists, no flush due) allocates no extra promise. */
  append(ref: RunRef, writes: readonly TimeSeriesWrite[]): Promise<void> {
    const incarnation = incarnationOf(ref);
    const last = this.last;
    let buffer: RunBuffer | undefined;
    if (
      last &&
      last.run === ref.run &&
      last.experiment === ref.experiment &&
      last.incarnation === incarnation
    ) {
      buffer = last.buffer; // a loop logging to one run: no key to build, no map to search
    } else {
      buffer =
        incarnation === undefined
          ? this.current.get(runKey(ref.experiment, ref.run))
          : this.buffers.get(incarnationKey(ref.experiment, ref.run, incarnation));
      if (buffer === undefined) return this.appendFirst(ref, writes);
      this.last = { experiment: ref.experiment, run: ref.run, incarnation, buffer };
    }
    buffer.add(writes);
    if (buffer.bytes >= this.options.bufferBytes) return this.flushBuffer(buffer, false);
    return DONE;
  }

  /** The first append to an incarnation in this backend checks that it exists. */
  private async appendFirst(ref: RunRef, writes: readonly TimeSeriesWrite[]): Promise<void> {
    const run = await this.store.requireRun(ref);
    const buffer = this.bufferOf(ref, run.uid);
    buffer.add(writes);
    if (buffer.bytes >= this.options.bufferBytes) await this.flushBuffer(buffer, false);
  }

  private bufferOf(ref: RunRef, incarnation: string): RunBuffer {
    this.last = undefined;
    const key = incarnationKey(ref.experiment, ref.run, incarnation);
    let buffer = this.buffers.get(key);
    if (!buffer) {
      buffer = new RunBuffer(
        { experiment: ref.experiment, run: ref.run },
        incarnation,
        this.ids,
        this.chunkBytes,
      );
      this.buffers.set(key, buffer);
    }
    this.current.set(runKey(ref.experiment, ref.run), buffer);
    return buffer;
  }

  private forget(buffer: RunBuffer): void {
    this.last = undefined;
    const { experiment, run } = buffer.ref;
    this.buffers.delete(incarnationKey(experiment, run, buffer.incarnation));
    if (this.current.get(runKey(experiment, run)) === buffer) this.current.delete(runKey(experiment, run));
  }

  /** The incarnation is gone: its points go with it, and the caller reports it. */
  private bury(buffer: RunBuffer): NotFoundError {
    buffer.discard();
    this.forget(buffer);
    return runNotFound(buffer.ref);
  }

  /** Appends one incarnation's buffered points; with `sync`, also makes earlier appends durable. */
  flushBuffer(buffer: RunBuffer, sync: boolean): Promise<void> {
    const done = buffer.chain.then(() => this.write(buffer, sync));
    buffer.chain = done.catch(() => {});
    return done;
  }

  private async write(buffer: RunBuffer, flushSync: boolean): Promise<void> {
    const sync = flushSync && this.store.sync; // with fsync: false, nothing waits for the device
    buffer.seal();
    const needed =
      buffer.queue.length > 0 || buffer.hasWritten || (sync && (buffer.unsynced || buffer.latestUnsynced));
    const { ref, incarnation } = buffer;
    if (!needed) {
      // An empty buffer of an incarnation this backend no longer addresses by name is dropped.
      const idle = !buffer.unsynced && !buffer.latestUnsynced;
      if (idle && this.current.get(runKey(ref.experiment, ref.run)) !== buffer) this.forget(buffer);
      return;
    }
    await this.store.openForWrite();
    const alive = async () => (await this.store.findRun(ref))?.uid === incarnation;
    if (!(await alive())) {
      if (buffer.queue.length > 0 || buffer.hasWritten) throw this.bury(buffer);
      this.forget(buffer); // nothing of it left to write
      return;
    }
    try {
      const file = await this.store.seriesFileForWrite(ref, incarnation);
      while (buffer.queue.length > 0) {
        const chunk = buffer.queue[0]!;
        const durable = sync && buffer.queue.length === 1;
        await appendData(file, [chunk.header, chunk.body], durable);
        buffer.appended();
        buffer.unsynced = !durable;
      }
      if (sync && buffer.unsynced) {
        await syncFile(file);
        buffer.unsynced = false;
      }
      if (sync && (buffer.hasWritten || buffer.latestUnsynced)) {
        // Every point of this record is on disk now: it says so (`durable`), and readers then treat a
        // series file without those points as truncated, never as merely shorter.
        await this.store.appendRuns(
          ref.experiment,
          [encodeLatestRecord(ref.run, incarnation, buffer.recordedLatest(), true)],
          true,
        );
        buffer.recorded(true);
      } else if (buffer.hasWritten) {
        await this.store.appendRuns(
          ref.experiment,
          [encodeLatestRecord(ref.run, incarnation, buffer.written, false)],
          false,
        );
        buffer.recorded(false);
      }
    } catch (error) {
      if ((isMissing(error) || error instanceof NotFoundError) && !(await alive().catch(() => true))) {
        throw this.bury(buffer);
      }
      throw error;
    }
  }

  /** Flushes the buffer of one incarnation, if this backend has one. */
  async flushIncarnation(ref: RunRef, incarnation: string, sync: boolean): Promise<void> {
    const buffer = this.buffers.get(incarnationKey(ref.experiment, ref.run, incarnation));
    if (buffer) await this.flushBuffer(buffer, sync);
  }

  /** Flushes every buffer; rejects with the first failure (a deleted run after any other failure). */
  async flushAll(sync: boolean): Promise<void> {
    const results = await Promise.allSettled(
      [...this.buffers.values()].map((b) => this.flushBuffer(b, sync)),
    );
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    const deaths = [...this.deaths.splice(0), ...failures.filter((f) => f instanceof NotFoundError)];
    const other = failures.find((f) => !(f instanceof NotFoundError));
    if (other !== undefined) {
      this.deaths.push(...deaths); // still owed to a later flush
      throw other;
    }
    if (deaths.length > 0) throw deaths[0];
  }

  /**
   * The points of one incarnation: the file's, streaming, after this backend's own buffered points were
   * appended (or, when that append fails, with them read from memory after the file's).
   */
  async *read(
    ref: RunRef,
    incarnation: string,
    query?: SeriesQuery,
    durable?: Readonly<Record<string, number>>,
  ): AsyncGenerator<SeriesChunk> {
    const buffer = this.buffers.get(incarnationKey(ref.experiment, ref.run, incarnation));
    let unappended: Buffer[] = [];
    if (buffer?.pending) {
      try {
        await this.flushBuffer(buffer, false);
      } catch (error) {
        if (error instanceof NotFoundError) throw error;
        unappended = buffer.unappended();
      }
    }
    const file = this.store.seriesFileForRead(ref, incarnation);
    const reader = new SeriesReader(query, LIMITS, durable);
    yield* reader.read(file, unappended);
    // Points a flush made durable must be in the file: one without them was truncated (unless the run
    // was deleted meanwhile, which removes its file).
    const lost = reader.lostError(file ?? this.store.paths.seriesFile(ref.experiment, ref.run, incarnation));
    if (lost) {
      if ((await this.store.findRun(ref))?.uid !== incarnation) throw runNotFound(ref);
      throw lost;
    }
  }

  /** The latest points this backend holds for an incarnation and has not recorded yet. */
  pendingLatest(
    experiment: string,
    run: string,
    incarnation: string,
  ): Record<string, SeriesPoint> | undefined {
    const buffer = this.buffers.get(incarnationKey(experiment, run, incarnation));
    return buffer?.pending ? buffer.pendingLatest() : undefined;
  }

  /** This backend created the incarnation: refs without one now mean it. */
  created(ref: RunRef): void {
    this.last = undefined;
    this.current.delete(runKey(ref.experiment, ref.run));
  }

  /** This backend deleted the incarnation: its buffered points go with it. */
  deleted(ref: RunRef, incarnation: string): void {
    const buffer = this.buffers.get(incarnationKey(ref.experiment, ref.run, incarnation));
    if (!buffer) return;
    buffer.discard();
    this.forget(buffer);
  }

  dropExperiment(experiment: string): void {
    for (const buffer of [...this.buffers.values()]) {
      if (buffer.ref.experiment !== experiment) continue;
      buffer.discard();
      this.forget(buffer);
    }
  }

  /** Flushes durably, then stops the timer; a failed close keeps everything for a later flush/close. */
  async close(): Promise<void> {
    await this.flushAll(true);
    clearInterval(this.timer);
    live.delete(this);
  }

  /** The exit hook: appends (without fsync) what is buffered for incarnations that still exist. */
  flushOnExit(): void {
    for (const buffer of this.buffers.values()) {
      const { ref, incarnation } = buffer;
      try {
        buffer.seal();
        if (buffer.queue.length === 0 && !buffer.hasWritten) continue;
        if (this.store.findRunSync(ref)?.uid !== incarnation) continue; // deleted: never written anywhere
        const file = this.store.seriesFileForWriteSync(ref, incarnation);
        while (buffer.queue.length > 0) {
          const chunk = buffer.queue[0]!;
          appendDataSync(file, [chunk.header, chunk.body]);
          buffer.appended();
        }
        this.store.appendRunsSync(ref.experiment, [
          encodeLatestRecord(ref.run, incarnation, buffer.written, false),
        ]);
        buffer.recorded(false);
      } catch {
        // exiting: nothing left to report to
      }
    }
  }
}
