import { closeSync, constants, fstatSync, readSync } from "node:fs";
import path from "node:path";
import { BackendError } from "@exprun/core";
import { BACKEND, errorCode, fsError } from "./fs-errors.js";
import { openRegular, readIfExistsSync, replaceFile } from "./fsio.js";
import { removeStrayTemps } from "./housekeeping.js";
import { type BadLine, corruptRecord, type LogRecord, parseLines, readLineBlocks } from "./jsonl.js";

/** How a log's records fold into the state a reader wants. */
export interface Reducer<S> {
  empty(): S;
  /** Applies one record; `seq` counts records from the start of the log. Throws on a foreign record. */
  apply(state: S, record: LogRecord, seq: number): void;
  /**
   * Makes the log tolerate bad lines: a line that does not parse or apply is kept as a {@link Problem}
   * under the key this returns (the run or resource it names, when it names one) and the fold goes on.
   * Without it, a bad line makes every read of the log fail.
   */
  problemKey?(record: LogRecord | undefined): string | undefined;
  /** Snapshot codec; without it the log is always replayed from its start. */
  snapshot?: {
    encode(state: S): unknown;
    /** `tagged`: the snapshot text contains `"$float"` tags (without them, decoding values is skipped). */
    decode(json: unknown, tagged: boolean): S;
  };
}

/** A bad line in a log, kept so that reads of what it concerns report it (path and byte offset). */
export interface Problem {
  offset: number;
  reason: string;
  /** The run or resource the line names; `undefined` when it names none that can be trusted. */
  key?: string;
}

export const SNAPSHOT_FORMAT = "exprun-file-snapshot";
/** Version 2: layout 2's fold (incarnation data directories, dead incarnations, problems). */
export const SNAPSHOT_VERSION = 2;

/** Write a snapshot once the unsnapshotted tail is this large and at least an eighth of the log. */
const SNAPSHOT_MIN_TAIL = 1 << 20;
/** Problems kept per log (the rest are counted): a foreign file must not fill memory. */
const MAX_PROBLEMS = 100;

function truncated(file: string, size: number, expected: number, what: string, fix: string): BackendError {
  return new BackendError(
    `${file} is shorter (${size} bytes) than ${what} (${expected} bytes): it was truncated, and the ` +
      `records after byte ${size} are missing. Restore it from a backup; ${fix}`,
    { backend: BACKEND },
  );
}

/**
 * An append-only JSON Lines log folded into in-memory state, read incrementally: each refresh reads
 * only the bytes appended since the last one, up to the last complete line (a record still being
 * written, or torn by a crash, waits). A snapshot beside the log caches the state of a prefix of it
 * (`logBytes`); it is a pure cache, rewritten atomically by any reader, so no lock is needed.
 * `key` ties the state to one incarnation of the log's owner (an experiment deleted and re-created
 * gets a new key, and the cached state is dropped even if the filesystem reuses the inode).
 * A log shorter than what a snapshot or this reader has already seen was truncated: that is an error
 * naming it, never a silently shorter state.
 */
export class LogView<S> {
  state: S;
  problems: Problem[] = [];
  problemCount = 0;
  private offset = 0;
  private seq = 0;
  private ino = -1;
  /** The owner incarnation the state was read for (`undefined` before the first refresh). */
  key: string | undefined;
  private snapshotOffset = 0;
  private tidied = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly snapshotFile: string | undefined,
    private readonly reducer: Reducer<S>,
    private readonly sync: boolean,
  ) {
    this.state = reducer.empty();
  }

  /** Brings the state up to date with the log (one refresh at a time). */
  refresh(key?: string): Promise<S> {
    const next = this.queue.then(async () => {
      this.refreshSync(key);
      await this.maybeSnapshot();
      return this.state;
    });
    this.queue = next.catch(() => {});
    return next;
  }

  private reset(key: string | undefined): void {
    this.state = this.reducer.empty();
    this.problems = [];
    this.problemCount = 0;
    this.offset = 0;
    this.seq = 0;
    this.ino = -1;
    this.snapshotOffset = 0;
    this.key = key;
  }

  /**
   * The synchronous part of a refresh (it is a few small syscalls; a threadpool hop per call costs
   * more). Usable where nothing async may run, such as an exit hook.
   */
  refreshSync(key?: string): S {
    if (key !== this.key) this.reset(key);
    if (!this.tidied) {
      this.tidied = true;
      removeStrayTemps(path.dirname(this.file));
    }
    let fd: number;
    try {
      fd = openRegular(this.file, constants.O_RDONLY);
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "ENOTDIR") {
        this.reset(key);
        return this.state;
      }
      throw error instanceof BackendError ? error : fsError("open", this.file, error);
    }
    try {
      const stat = fstatSync(fd);
      if (stat.ino === this.ino && stat.size < this.offset) {
        throw truncated(
          this.file,
          stat.size,
          this.offset,
          "this process has already read",
          "this process keeps refusing it until the file is at least as long as before.",
        );
      }
      try {
        if (stat.ino !== this.ino) {
          this.reset(key);
          this.ino = stat.ino;
        }
        if (this.offset === 0 && this.snapshotFile) this.loadSnapshot(fd, stat.size);
        if (stat.size > this.offset) this.readTail(fd, stat.size);
      } catch (error) {
        // Never keep half-applied state: the next refresh starts over (and reports the same problem).
        this.reset(undefined);
        throw error instanceof BackendError ? error : fsError("read", this.file, error);
      }
    } finally {
      closeSync(fd);
    }
    return this.state;
  }

  /** The first problem among those `relevant` accepts, as the error a read of it reports. */
  problemError(relevant: (problem: Problem) => boolean): BackendError | undefined {
    const problem = this.problems.find(relevant);
    if (!problem) return undefined;
    const more = this.problemCount > 1 ? ` (${this.problemCount} bad lines in this file)` : "";
    return corruptRecord(this.file, problem.offset, `${problem.reason}${more}`);
  }

  private addProblem(bad: BadLine): void {
    this.problemCount++;
    if (this.problems.length >= MAX_PROBLEMS) return;
    const problem: Problem = { offset: bad.offset, reason: bad.reason };
    const key = this.reducer.problemKey!(bad.record);
    if (key !== undefined) problem.key = key;
    this.problems.push(problem);
  }

  private readTail(fd: number, size: number): void {
    const onBadLine = this.reducer.problemKey ? (bad: BadLine) => this.addProblem(bad) : undefined;
    const apply = (record: LogRecord) => {
      this.reducer.apply(this.state, record, this.seq);
      this.seq++;
    };
    // A block at a time: a log of any size reads in bounded memory (the state is only valid once the
    // whole tail is applied; a failure resets it, see refreshSync).
    this.offset = readLineBlocks(fd, this.offset, size, (text, offset) =>
      parseLines(text, this.file, offset, apply, onBadLine),
    );
  }

  private loadSnapshot(fd: number, logSize: number): void {
    let bytes: Buffer | undefined;
    try {
      bytes = readIfExistsSync(this.snapshotFile!);
    } catch {
      bytes = undefined; // a link or an unreadable file: a cache, so ignored
    }
    if (!bytes) return;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    } catch {
      return; // A snapshot is only a cache: an unreadable one is ignored and the log replayed.
    }
    const logBytes = json.logBytes;
    if (
      json.format !== SNAPSHOT_FORMAT ||
      json.version !== SNAPSHOT_VERSION ||
      json.key !== (this.key ?? null) ||
      typeof logBytes !== "number" ||
      !Number.isSafeInteger(logBytes) ||
      logBytes < 0 ||
      typeof json.records !== "number"
    ) {
      return;
    }
    if (logBytes > logSize) {
      throw truncated(
        this.file,
        logSize,
        logBytes,
        `its snapshot ${this.snapshotFile} records`,
        `to accept the loss, delete ${this.snapshotFile}.`,
      );
    }
    // The log has a record ending at `logBytes`, or the snapshot is damaged: a cache, so it is ignored
    // (never read from the middle of a line, which would blame a healthy log).
    if (logBytes > 0) {
      const last = Buffer.alloc(1);
      if (readSync(fd, last, 0, 1, logBytes - 1) !== 1 || last[0] !== 10) return;
    }
    try {
      this.state = this.reducer.snapshot!.decode(json.state, bytes.includes('"$float"'));
      this.problems = Array.isArray(json.problems) ? (json.problems as Problem[]) : [];
      this.problemCount = typeof json.problemCount === "number" ? json.problemCount : this.problems.length;
    } catch {
      this.state = this.reducer.empty();
      this.problems = [];
      this.problemCount = 0;
      return;
    }
    this.offset = logBytes;
    this.seq = json.records;
    this.snapshotOffset = logBytes;
  }

  private async maybeSnapshot(): Promise<void> {
    const codec = this.reducer.snapshot;
    if (!codec || !this.snapshotFile) return;
    const tail = this.offset - this.snapshotOffset;
    if (tail < SNAPSHOT_MIN_TAIL || tail * 8 < this.offset) return;
    const json = {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      key: this.key ?? null,
      logBytes: this.offset,
      records: this.seq,
      problems: this.problems,
      problemCount: this.problemCount,
      state: codec.encode(this.state),
    };
    removeStrayTemps(path.dirname(this.snapshotFile)); // compaction: tidy what killed writers left
    try {
      await replaceFile(this.snapshotFile, Buffer.from(JSON.stringify(json)), this.sync);
      this.snapshotOffset = this.offset;
    } catch {
      // The owner may have been deleted meanwhile, or the store is read-only; the log stays the truth.
    }
  }
}
