import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { BackendError } from "@exprun/core";
import { BACKEND, errorCode, fsError, linkRefused } from "./fs-errors.js";
import { notAFile } from "./fsio.js";
import { parseLine } from "./jsonl.js";
import { CHUNK_MARKER } from "./series.js";
import { decodeScalar } from "./values.js";

/** A run of points of one metric, in write order (the shape of core's streaming series read). */
export interface SeriesChunk {
  metric: string;
  steps: Float64Array;
  wallTimes: Float64Array;
  values: Float64Array;
}

export interface SeriesQuery {
  metrics?: readonly string[];
  steps?: { from?: number; to?: number };
}

/** How much a reader holds at once (tests shrink these to reach every path with small files). */
export interface ReadLimits {
  /** Bytes to read from a file at a time. */
  block: number;
  /** A chunk this large is checked and parsed in blocks instead of being held whole. */
  maxInMemory: number;
  /** Points gathered before they are handed out (lines written by layout 1 have no chunks). */
  emitPoints: number;
}

const LIMITS: ReadLimits = { block: 4 << 20, maxInMemory: 64 << 20, emitPoints: 1 << 16 };
const MARKER = Buffer.from(CHUNK_MARKER);
const NEWLINE = 10;

/** Where series bytes come from: a file (read from a handle) or memory (points not yet appended). */
interface Source {
  readonly name: string;
  readonly size: number;
  read(into: Buffer, at: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

async function fileSource(file: string): Promise<Source | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
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

function memorySource(name: string, bytes: Buffer): Source {
  return {
    name,
    size: bytes.length,
    read: async (into, at, length, position) => bytes.copy(into, at, position, position + length),
    close: async () => {},
  };
}

/** Growable columns of one metric. */
class Column {
  steps = new Float64Array(256);
  wallTimes = new Float64Array(256);
  values = new Float64Array(256);
  length = 0;

  constructor(readonly metric: string) {}

  push(step: number, wallTime: number, value: number): void {
    if (this.length === this.steps.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.steps = grow(this.steps);
      this.wallTimes = grow(this.wallTimes);
      this.values = grow(this.values);
    }
    this.steps[this.length] = step;
    this.wallTimes[this.length] = wallTime;
    this.values[this.length] = value;
    this.length++;
  }

  take(): SeriesChunk {
    const n = this.length;
    const chunk = {
      metric: this.metric,
      steps: this.steps.slice(0, n),
      wallTimes: this.wallTimes.slice(0, n),
      values: this.values.slice(0, n),
    };
    this.length = 0;
    return chunk;
  }
}

function corrupt(file: string, offset: number, reason: string, delivered: number): BackendError {
  return new BackendError(
    `Corrupt or foreign record in ${file} at byte ${offset}: ${reason}. The ${delivered} points before it ` +
      `were read. Restore the file from a backup, or remove that line; the rest of the store stays readable.`,
    { backend: BACKEND },
  );
}

/**
 * Reads the points of one time-series file (and of the chunks not yet appended), streaming: a block
 * of the file at a time, a chunk's lines only once the whole chunk is known to be there. Memory is a
 * few blocks and one chunk's columns, whatever the file's size. Points come per metric in write order;
 * each metric's first run of points comes in the order the metrics first appear.
 */
export class SeriesReader {
  private readonly wanted: Set<string> | undefined;
  private readonly from: number;
  private readonly to: number;
  private readonly columns = new Map<string, Column>();
  /** Metrics in the order they first appeared, for the order chunks are handed out in. */
  private readonly order = new Map<string, number>();
  private gathered = 0;
  private delivered = 0;
  private readonly seen = new Set<string>();

  constructor(
    query: SeriesQuery = {},
    private readonly limits: ReadLimits = LIMITS,
  ) {
    this.wanted = query.metrics ? new Set(query.metrics) : undefined;
    this.from = query.steps?.from ?? Number.NEGATIVE_INFINITY;
    this.to = query.steps?.to ?? Number.POSITIVE_INFINITY;
  }

  /** Every point of `file` (missing: none), then of `unappended` (framed chunks still in memory). */
  async *read(file: string | undefined, unappended: readonly Buffer[] = []): AsyncGenerator<SeriesChunk> {
    const sources: (Source | undefined)[] = [file === undefined ? undefined : await fileSource(file)];
    for (const bytes of unappended) sources.push(memorySource(`${file ?? "memory"} (unappended)`, bytes));
    for (const source of sources) {
      if (!source) continue;
      try {
        yield* this.readSource(source);
      } finally {
        await source.close();
      }
    }
    yield* this.emit();
  }

  private *emit(): Generator<SeriesChunk> {
    const columns = [...this.columns.values()].filter((c) => c.length > 0);
    columns.sort((a, b) => this.order.get(a.metric)! - this.order.get(b.metric)!);
    for (const column of columns) {
      this.delivered += column.length;
      yield column.take();
    }
    this.gathered = 0;
  }

  private async *readSource(source: Source): AsyncGenerator<SeriesChunk> {
    const window = new Window(source, this.limits);
    let pos = 0;
    let framed = false;
    for (;;) {
      const nl = await window.indexOf(NEWLINE, pos, source.size);
      if (nl < 0) return; // an incomplete last line: a write still going on, or cut by a crash
      const markerAt = await window.indexOfMarker(pos, nl);
      if (markerAt > pos) {
        // A torn line (or torn header) runs into the header of the write after it: skip to that header.
        pos = markerAt;
        continue;
      }
      if (markerAt === pos) {
        const header = parseHeader(await window.text(pos, nl));
        if (!header) {
          const next = await window.indexOfMarker(pos + 1, nl);
          if (next < 0) throw corrupt(source.name, pos, "a chunk header that does not parse", this.delivered);
          pos = next;
          continue;
        }
        framed = true;
        const start = nl + 1;
        const end = start + header.bytes;
        const torn = await window.indexOfMarker(start, Math.min(end, source.size));
        if (torn >= 0) {
          pos = torn; // cut short by a failed or killed write: the next write's header is inside it
          continue;
        }
        if (end > source.size) return; // still being written
        if (header.bytes > 0 && (await window.byteAt(end - 1)) !== NEWLINE) {
          throw corrupt(
            source.name,
            start,
            `a chunk of ${header.bytes} bytes that does not end a line`,
            this.delivered,
          );
        }
        if (!this.seen.has(header.id) && header.last >= this.from && header.first <= this.to) {
          this.seen.add(header.id);
          yield* this.parseRange(window, source.name, start, end, false);
        }
        pos = end;
        window.release(pos);
        continue;
      }
      if (framed) {
        throw corrupt(source.name, pos, "a line outside any chunk", this.delivered);
      }
      // Lines of layout 1, before the first chunk: read them as layout 1 did (torn-line recovery).
      // A block of them at a time, up to the first chunk header (the first line has none: see above).
      const stop = Math.max(nl + 1, Math.min(source.size, pos + this.limits.block));
      const lastNl = await window.lastIndexOfBefore(NEWLINE, pos, stop);
      const marker = await window.indexOfMarker(nl + 1, lastNl + 1);
      const upTo = marker < 0 ? lastNl + 1 : (await window.lastIndexOfBefore(NEWLINE, pos, marker)) + 1;
      yield* this.parseRange(window, source.name, pos, upTo, true);
      pos = upTo;
      window.release(pos);
    }
  }

  /** Parses the complete lines of [start, end) and gathers their points. */
  private async *parseRange(
    window: Window,
    file: string,
    start: number,
    end: number,
    legacy: boolean,
  ): AsyncGenerator<SeriesChunk> {
    for await (const { text, offset } of window.texts(start, end)) {
      let at = 0;
      while (at < text.length) {
        let nl = text.indexOf("\n", at);
        if (nl < 0) nl = text.length;
        if (nl > at) {
          const line = text.slice(at, nl);
          let reason: string | undefined;
          try {
            const record = legacy ? parseLine(line) : (JSON.parse(line) as Record<string, unknown>);
            reason = record === undefined ? "the line is not a JSON object" : this.gather(record);
          } catch (error) {
            reason = error instanceof SyntaxError ? "the line is not JSON" : String(error);
          }
          if (reason !== undefined) {
            yield* this.emit();
            throw corrupt(file, offset + Buffer.byteLength(text.slice(0, at)), reason, this.delivered);
          }
        }
        at = nl + 1;
      }
      if (this.gathered >= this.limits.emitPoints) yield* this.emit();
    }
    if (!legacy || this.gathered >= this.limits.emitPoints) yield* this.emit();
  }

  /** Gathers one line's points; resolves why the line is bad, if it is. */
  private gather(record: Record<string, unknown>): string | undefined {
    const { step, wallTime, values } = record;
    if (typeof step !== "number") return `field "step" must be a number`;
    if (typeof wallTime !== "number") return `field "wallTime" must be a number`;
    if (typeof values !== "object" || values === null || Array.isArray(values)) {
      return `field "values" must be an object`;
    }
    if (step < this.from || step > this.to) return undefined;
    for (const metric in values) {
      if (this.wanted && !this.wanted.has(metric)) continue;
      let value = (values as Record<string, unknown>)[metric];
      if (typeof value !== "number") {
        value = decodeScalar(value);
        if (typeof value !== "number") return `value of "${metric}" must be a number`;
      }
      let column = this.columns.get(metric);
      if (!column) {
        column = new Column(metric);
        this.columns.set(metric, column);
        this.order.set(metric, this.order.size);
      }
      column.push(step, wallTime, value);
      this.gathered++;
    }
    return undefined;
  }
}

interface Header {
  id: string;
  bytes: number;
  first: number;
  last: number;
}

function parseHeader(line: string): Header | undefined {
  let json: { chunk?: unknown; bytes?: unknown; steps?: unknown };
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const { chunk, bytes, steps } = json;
  if (typeof chunk !== "string" || typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) {
    return undefined;
  }
  const [first, last] = Array.isArray(steps) ? steps : [];
  return {
    id: chunk,
    bytes,
    first: typeof first === "number" ? first : Number.NEGATIVE_INFINITY,
    last: typeof last === "number" ? last : Number.POSITIVE_INFINITY,
  };
}

/**
 * A sliding window over a source: bytes from `start` to `start + length` are in `buffer`. Ranges up
 * to `limits.maxInMemory` are served from it; longer ones are scanned in blocks.
 */
class Window {
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
