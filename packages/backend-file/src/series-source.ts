import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { errorCode, fsError, linkRefused } from "./fs-errors.js";
import { notAFile } from "./fsio.js";
import { CHUNK_MARKER } from "./series.js";

/** How much a reader holds at once (tests shrink these to reach every path with small files). */
export interface ReadLimits {
  /** Bytes to read from a file at a time. */
  block: number;
  /** A chunk this large is checked and parsed in blocks instead of being held whole. */
  maxInMemory: number;
  /** Points gathered before they are handed out (lines written by layout 1 have no chunks). */
  emitPoints: number;
}

export const LIMITS: ReadLimits = { block: 4 << 20, maxInMemory: 64 << 20, emitPoints: 1 << 16 };
const MARKER = Buffer.from(CHUNK_MARKER);
const NEWLINE = 10;

/** Where series bytes come from: a file (read from a handle) or memory (points not yet appended). */
export interface Source {
  readonly name: string;
  readonly size: number;
  read(into: Buffer, at: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export async function fileSource(file: string): Promise<Source | undefined> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the read (the stat below refuses it)
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (code === "ELOOP") throw linkRefused(file);
    throw fsError("open", file, error);
  }
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw notAFile(file);
  }
  return {
    name: file,
    size: info.size, // what a reader sees is the file as it was when the read began
    read: async (into, at, length, position) => {
      try {
        return (await handle.read(into, at, length, position)).bytesRead;
      } catch (error) {
        throw fsError("read", file, error);
      }
    },
    close: () => handle.close(),
  };
}

export function memorySource(name: string, bytes: Buffer): Source {
  return {
    name,
    size: bytes.length,
    read: async (into, at, length, position) => bytes.copy(into, at, position, position + length),
    close: async () => {},
  };
}

/**
 * A sliding window over a source: bytes from `start` to `start + length` are in `buffer`. Ranges up
 * to `limits.maxInMemory` are served from it; longer ones are scanned in blocks.
 */
export class Window {
  private buffer = Buffer.alloc(0);
  private start = 0;
  private length = 0;

  constructor(
    private readonly source: Source,
    private readonly limits: ReadLimits,
  ) {}

  /** Drops bytes before `offset` (they will not be needed again). */
  release(offset: number): void {
    const drop = Math.min(offset - this.start, this.length);
    if (drop <= 0) return;
    if (drop === this.length) {
      this.start = offset;
      this.length = 0;
      return;
    }
    this.buffer.copy(this.buffer, 0, drop, this.length);
    this.start += drop;
    this.length -= drop;
  }

  /** Makes [from, to) available in the buffer (to ≤ size); from must be ≥ start. */
  private async cover(from: number, to: number): Promise<void> {
    if (from < this.start || from > this.start + this.length) {
      this.start = from;
      this.length = 0;
    }
    const need = to - this.start;
    if (need > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(
        Math.max(need, Math.min(this.buffer.length * 2, this.limits.maxInMemory), this.limits.block),
      );
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    while (this.start + this.length < to) {
      const at = this.start + this.length;
      const want = Math.min(this.buffer.length - this.length, this.source.size - at);
      const n = await this.source.read(this.buffer, this.length, want, at);
      if (n === 0) throw fsError("read", this.source.name, new Error("the file shrank while being read"));
      this.length += n;
    }
  }

  /** The first `byte` in [from, to), or -1; reads ahead a block at a time. */
  async indexOf(byte: number, from: number, to: number): Promise<number> {
    for (let at = from; at < to; ) {
      const end = Math.min(to, at + this.limits.block);
      await this.cover(at, end);
      const i = this.buffer.subarray(0, this.length).indexOf(byte, at - this.start);
      if (i >= 0 && i + this.start < to) return i + this.start;
      at = end;
      if (end - this.start > this.limits.maxInMemory) this.release(Math.max(from, end - 1));
    }
    return -1;
  }

  /** The last `byte` in [from, to), or from - 1. */
  async lastIndexOfBefore(byte: number, from: number, to: number): Promise<number> {
    await this.cover(from, to);
    const i = this.buffer.subarray(0, to - this.start).lastIndexOf(byte);
    return i >= from - this.start ? i + this.start : from - 1;
  }

  /** Where the chunk marker first starts in [from, to), or -1. */
  async indexOfMarker(from: number, to: number): Promise<number> {
    if (to - from < MARKER.length) return -1;
    if (
      to - this.start <= this.limits.maxInMemory ||
      (from >= this.start && to <= this.start + this.length)
    ) {
      await this.cover(from, to);
      const i = this.buffer.subarray(0, to - this.start).indexOf(MARKER, from - this.start);
      return i >= 0 ? i + this.start : -1;
    }
    // A range too long to hold: scan it in blocks that overlap by the marker's length.
    const scratch = Buffer.allocUnsafe(this.limits.block);
    for (let at = from; at < to; at += this.limits.block - MARKER.length) {
      const n = await this.source.read(scratch, 0, Math.min(this.limits.block, to - at), at);
      const i = scratch.subarray(0, n).indexOf(MARKER);
      if (i >= 0) return at + i;
      if (at + n >= to) break;
    }
    return -1;
  }

  async byteAt(offset: number): Promise<number> {
    await this.cover(offset, offset + 1);
    return this.buffer[offset - this.start]!;
  }

  /** The text of [from, to). */
  async text(from: number, to: number): Promise<string> {
    await this.cover(from, to);
    return this.buffer.toString("utf8", from - this.start, to - this.start);
  }

  /** The text of [from, to) (whole lines), in pieces of whole lines of about a block each. */
  async *texts(from: number, to: number): AsyncGenerator<{ text: string; offset: number }> {
    if (to - from <= this.limits.maxInMemory) {
      await this.cover(from, to);
      for (let at = from; at < to; ) {
        let end = Math.min(to, at + this.limits.block);
        if (end < to) end = this.buffer.subarray(0, end - this.start).lastIndexOf(NEWLINE) + this.start + 1;
        if (end <= at) end = to; // one line longer than a block
        yield { text: this.buffer.toString("utf8", at - this.start, end - this.start), offset: at };
        at = end;
      }
      return;
    }
    for (let at = from; at < to; ) {
      const end = Math.min(to, at + this.limits.block);
      await this.cover(at, end);
      let cut = end;
      if (end < to) {
        const i = this.buffer.subarray(0, end - this.start).lastIndexOf(NEWLINE);
        cut = i >= at - this.start ? i + this.start + 1 : (await this.indexOf(NEWLINE, end, to)) + 1;
        await this.cover(at, cut);
      }
      yield { text: this.buffer.toString("utf8", at - this.start, cut - this.start), offset: at };
      at = cut;
      this.release(at);
    }
  }
}
