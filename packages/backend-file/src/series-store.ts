import { appendFileSync, mkdirSync } from "node:fs";
import type { RunRef, SeriesPoint, TimeSeriesWrite } from "@exprun/core";
import { appendData, ensureDir, errorCode, isMissing } from "./fsio.js";
import { toLines } from "./jsonl.js";
import { encodeLatestRecord } from "./runs-log.js";
import { bufferWrites, newBuffer, type RunBuffer } from "./series.js";
import type { FileStore } from "./store.js";

export interface SeriesOptions {
  bufferBytes: number;
  flushIntervalMs: number;
}

const DONE: Promise<void> = Promise.resolve();
const live = new Set<SeriesStore>();
let exitHooked = false;

/** On a normal exit, append what is still buffered (synchronously: nothing async runs after `exit`). */
function flushAllOnExit(): void {
  for (const store of live) store.flushOnExit();
}

function key(ref: RunRef): string {
  return `${ref.experiment}\u0000${ref.run}`;
}

/**
 * Buffers time-series points per run and appends them in big chunks: one `write(2)` per chunk on the
 * run's `timeseries.jsonl`, then one `latest` record on the experiment's `runs.jsonl` so listings get
 * each series' latest point without opening per-run files. Chunks are appended when a buffer passes
 * `bufferBytes`, every `flushIntervalMs`, before reads, and (fsynced) at `flush()`, at a run's state
 * change (`endRun`) and at `close()`.
 */
export class SeriesStore {
  private readonly buffers = new Map<string, RunBuffer>();
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;

  constructor(
    private readonly store: FileStore,
    private readonly options: SeriesOptions,
  ) {
    live.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on("exit", flushAllOnExit);
    }
    if (options.flushIntervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.chars > 0) this.flushAll(false).catch((error: unknown) => (this.failure = error));
      }, options.flushIntervalMs);
      this.timer.unref();
    }
  }

  private takeFailure(): unknown {
    const error = this.failure;
    this.failure = undefined;
    return error;
  }

  /** Reports a failed background flush to the next caller. */
  private rethrow(): void {
    if (this.failure !== undefined) throw this.takeFailure();
  }

  /** Not `async`: the common case (the run's buffer exists, no flush due) allocates no extra promise. */
  append(ref: RunRef, writes: readonly TimeSeriesWrite[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.takeFailure());
    const buffer = this.buffers.get(key(ref));
    if (buffer === undefined) return this.appendFirst(ref, writes);
    this.chars += bufferWrites(buffer, writes);
    if (buffer.chars >= this.options.bufferBytes) return this.flushBuffer(buffer, false);
    return DONE;
  }

  /** The first append to a run in this backend checks that the run exists. */
  private async appendFirst(ref: RunRef, writes: readonly TimeSeriesWrite[]): Promise<void> {
    const run = await this.store.requireRun(ref);
    const buffer = this.buffers.get(key(ref)) ?? newBuffer(ref, run.uid);
    this.buffers.set(key(ref), buffer);
    this.chars += bufferWrites(buffer, writes);
    if (buffer.chars >= this.options.bufferBytes) await this.flushBuffer(buffer, false);
  }

  /** Appends one run's buffered points; with `sync`, also makes earlier appends durable. */
  flushBuffer(buffer: RunBuffer, sync: boolean): Promise<void> {
    if (buffer.parts.length === 0 && !(sync && buffer.unsynced)) return buffer.chain;
    const data = Buffer.from(buffer.parts.join(""));
    const latest = buffer.latest;
    this.chars -= buffer.chars;
    buffer.parts = [];
    buffer.chars = 0;
    buffer.latest = {};
    buffer.unsynced = !sync;
    const done = buffer.chain.then(() => this.write(buffer, data, latest, sync));
    buffer.chain = done.catch(() => {});
    return done;
  }

  private async write(buffer: RunBuffer, data: Buffer, latest: Record<string, SeriesPoint>, sync: boolean) {
    const { ref, uid } = buffer;
    const run = await this.store.findRun(ref);
    if (!run || run.uid !== uid) return; // deleted meanwhile: its points go with it
    const paths = this.store.paths;
    try {
      await ensureDir(paths.runsDir(ref.experiment), this.store.sync);
      await ensureDir(paths.runDir(ref.experiment, ref.run), this.store.sync);
      await appendData(paths.seriesFile(ref.experiment, ref.run), data, sync);
      const hasLatest = Object.keys(latest).length > 0;
      if (hasLatest || sync) {
        const record = hasLatest ? toLines([encodeLatestRecord(ref.run, uid, latest)]) : Buffer.alloc(0);
        await appendData(paths.runsLog(ref.experiment), record, sync);
      }
    } catch (error) {
      if (isMissing(error)) return; // the experiment was deleted meanwhile
      throw error;
    }
  }

  async flushRun(ref: RunRef, sync: boolean): Promise<void> {
    const buffer = this.buffers.get(key(ref));
    if (buffer) await this.flushBuffer(buffer, sync);
    this.rethrow();
  }

  async flushExperiment(experiment: string, sync: boolean): Promise<void> {
    await Promise.all(
      [...this.buffers.values()]
        .filter((b) => b.ref.experiment === experiment)
        .map((b) => this.flushBuffer(b, sync)),
    );
    this.rethrow();
  }

  async flushAll(sync: boolean): Promise<void> {
    await Promise.all([...this.buffers.values()].map((b) => this.flushBuffer(b, sync)));
    this.rethrow();
  }

  /** Forgets a run's buffer (the run is being deleted). */
  drop(ref: RunRef): void {
    const buffer = this.buffers.get(key(ref));
    if (!buffer) return;
    this.chars -= buffer.chars;
    this.buffers.delete(key(ref));
  }

  dropExperiment(experiment: string): void {
    for (const buffer of [...this.buffers.values()])
      if (buffer.ref.experiment === experiment) this.drop(buffer.ref);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.flushAll(true);
    } finally {
      live.delete(this);
    }
  }

  flushOnExit(): void {
    const paths = this.store.paths;
    for (const buffer of this.buffers.values()) {
      if (buffer.parts.length === 0) continue;
      const { ref, uid } = buffer;
      try {
        for (const dir of [paths.runsDir(ref.experiment), paths.runDir(ref.experiment, ref.run)]) {
          try {
            mkdirSync(dir, 0o777);
          } catch (error) {
            if (errorCode(error) !== "EEXIST") throw error;
          }
        }
        appendFileSync(paths.seriesFile(ref.experiment, ref.run), buffer.parts.join(""));
        appendFileSync(
          paths.runsLog(ref.experiment),
          toLines([encodeLatestRecord(ref.run, uid, buffer.latest)]),
        );
        buffer.parts = [];
      } catch {
        // exiting: nothing left to report to
      }
    }
  }
}
