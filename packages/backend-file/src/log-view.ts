import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { BackendError } from "@exprun/core";
import { errorCode, fsError, replaceFile } from "./fsio.js";
import { type LogRecord, parseLines } from "./jsonl.js";

/** How a log's records fold into the state a reader wants. */
export interface Reducer<S> {
  empty(): S;
  /** Applies one record; `seq` counts records from the start of the log. Throws on a foreign record. */
  apply(state: S, record: LogRecord, seq: number): void;
  /** Snapshot codec; without it the log is always replayed from its start. */
  snapshot?: {
    encode(state: S): unknown;
    /** `tagged`: the snapshot text contains `"$float"` tags (without them, decoding values is skipped). */
    decode(json: unknown, tagged: boolean): S;
  };
}

export const SNAPSHOT_FORMAT = "exprun-file-snapshot";
export const SNAPSHOT_VERSION = 1;

/** Write a snapshot once the unsnapshotted tail is this large and at least an eighth of the log. */
const SNAPSHOT_MIN_TAIL = 1 << 20;

/**
 * An append-only JSON Lines log folded into in-memory state, read incrementally: each refresh reads
 * only the bytes appended since the last one, up to the last complete line (a record still being
 * written, or torn by a crash, waits). A snapshot beside the log caches the state of a prefix of it
 * (`logBytes`); it is a pure cache, rewritten atomically by any reader, so no lock is needed.
 * `key` ties the state to one incarnation of the log's owner (an experiment deleted and re-created
 * gets a new key, and the cached state is dropped even if the filesystem reuses the inode).
 */
export class LogView<S> {
  state: S;
  private offset = 0;
  private seq = 0;
  private ino = -1;
  private key: string | undefined;
  private snapshotOffset = 0;
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
    const next = this.queue.then(() => this.refreshNow(key));
    this.queue = next.catch(() => {});
    return next;
  }

  private reset(key: string | undefined): void {
    this.state = this.reducer.empty();
    this.offset = 0;
    this.seq = 0;
    this.ino = -1;
    this.snapshotOffset = 0;
    this.key = key;
  }

  private async refreshNow(key: string | undefined): Promise<S> {
    if (key !== this.key) this.reset(key);
    // Synchronous reads: a refresh is a few small syscalls, and a threadpool hop per call costs more.
    let fd: number;
    try {
      fd = openSync(this.file, "r");
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOENT" || code === "ENOTDIR") {
        this.reset(key);
        return this.state;
      }
      throw fsError("open", this.file, error);
    }
    try {
      const stat = fstatSync(fd);
      if (stat.ino !== this.ino || stat.size < this.offset) {
        this.reset(key);
        this.ino = stat.ino;
      }
      if (this.offset === 0 && this.snapshotFile) this.loadSnapshot(stat.size);
      if (stat.size > this.offset) this.readTail(fd, stat.size);
    } catch (error) {
      // Never keep half-applied state: the next refresh starts over (and reports the same problem).
      this.reset(undefined);
      throw error instanceof BackendError ? error : fsError("read", this.file, error);
    } finally {
      closeSync(fd);
    }
    await this.maybeSnapshot();
    return this.state;
  }

  private readTail(fd: number, size: number): void {
    const length = size - this.offset;
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const bytesRead = readSync(fd, buffer, read, length - read, this.offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const end = read === 0 ? 0 : buffer.lastIndexOf(10, read - 1) + 1;
    if (end === 0) return;
    const text = buffer.toString("utf8", 0, end);
    parseLines(text, this.file, this.offset, (record) => {
      this.reducer.apply(this.state, record, this.seq);
      this.seq++;
    });
    this.offset += end;
  }

  private loadSnapshot(logSize: number): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.snapshotFile!);
    } catch {
      return;
    }
    try {
      const text = bytes.toString("utf8");
      const json = JSON.parse(text) as Record<string, unknown>;
      const logBytes = json.logBytes;
      if (
        json.format !== SNAPSHOT_FORMAT ||
        json.version !== SNAPSHOT_VERSION ||
        json.key !== (this.key ?? null) ||
        typeof logBytes !== "number" ||
        typeof json.records !== "number" ||
        logBytes > logSize
      ) {
        return;
      }
      this.state = this.reducer.snapshot!.decode(json.state, text.includes('"$float"'));
      this.offset = logBytes;
      this.seq = json.records;
      this.snapshotOffset = logBytes;
    } catch {
      // A snapshot is only a cache: an unreadable one is ignored and the log replayed.
      this.state = this.reducer.empty();
    }
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
      state: codec.encode(this.state),
    };
    try {
      await replaceFile(this.snapshotFile, Buffer.from(JSON.stringify(json)), this.sync);
      this.snapshotOffset = this.offset;
    } catch {
      // The owner may have been deleted meanwhile; the log stays the truth.
    }
  }
}
