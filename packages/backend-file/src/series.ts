import type { RunRef, SeriesPoint, TimeSeriesWrite } from "@exprun/core";
import { numberText } from "./values.js";

/**
 * Time-series points of one run incarnation, as JSON Lines: one line per `TimeSeriesWrite`,
 * `{"step":3,"wallTime":1700000000000,"values":{"loss":0.25,"acc":{"$float":"NaN"}}}`, appended in
 * framed chunks: a header line `{"chunk":"<id>","bytes":N,"steps":[first,last]}` and then exactly N
 * bytes of lines. A chunk cut short (a full disk, a kill inside `write(2)`) is followed by the next
 * chunk's header within its N bytes, so readers recognise and skip it; a chunk written twice (a flush
 * retried after a failure that had in fact written it) has the same id, and readers keep the first.
 */

/** Starts every chunk header, and appears nowhere else: values are numbers and keys are escaped. */
export const CHUNK_MARKER = '{"chunk":"';

const keyCache = new Map<string, string>();

/** `"name":` for a metric, cached: metric names repeat on every line. */
function keyJson(metric: string): string {
  let json = keyCache.get(metric);
  if (json === undefined) {
    json = `${JSON.stringify(metric)}:`;
    if (keyCache.size < 100_000) keyCache.set(metric, json);
  }
  return json;
}

/** True when `JSON.stringify` writes `value` exactly: not NaN, not ±Infinity, not -0. */
function plainNumber(value: number): boolean {
  return value - value === 0 && (value !== 0 || 1 / value > 0);
}

/** One write as a line (with its newline). */
export function encodeWrite(write: TimeSeriesWrite): string {
  const head = `{"step":${numberText(write.step)},"wallTime":${numberText(write.wallTime)},"values":`;
  const values = write.values;
  let plain = true;
  for (const metric in values) {
    if (!plainNumber(values[metric]!)) {
      plain = false;
      break;
    }
  }
  // JSON.stringify's native serialiser is 2-3× faster than building the object text in JS.
  if (plain) return `${head}${JSON.stringify(values)}}\n`;
  let line = `${head}{`;
  let first = true;
  for (const metric in values) {
    line += (first ? "" : ",") + keyJson(metric) + numberText(values[metric]!);
    first = false;
  }
  return `${line}}}\n`;
}

/** The header line of a chunk whose lines take `bytes` bytes. */
export function chunkHeader(id: string, bytes: number, firstStep: number, lastStep: number): Buffer {
  return Buffer.from(
    `${CHUNK_MARKER}${id}","bytes":${bytes},"steps":[${numberText(firstStep)},${numberText(lastStep)}]}\n`,
  );
}

/** A sealed chunk: appended whole with one `writev(2)`, or not at all as far as readers can tell. */
export interface Chunk {
  header: Buffer;
  body: Buffer;
  /** The latest point per metric among its lines, recorded in `runs.jsonl` once it is appended. */
  latest: Record<string, SeriesPoint>;
}

/** Unique chunk ids of one writer: `<writer>.<n>`. */
export interface ChunkIds {
  readonly writer: string;
  next: number;
}

function mergeLatest(into: Record<string, SeriesPoint>, from: Record<string, SeriesPoint>): void {
  for (const metric in from) {
    const point = from[metric]!;
    const current = into[metric];
    if (current === undefined || point.step >= current.step) into[metric] = point;
  }
}

/**
 * The points of one run incarnation this backend has not yet made durable, in write order: lines not
 * yet sealed (`parts`), sealed chunks not yet appended (`queue`, kept until an append succeeds), and
 * the latest points of appended chunks not yet recorded in `runs.jsonl` (`written`).
 */
export class RunBuffer {
  parts: string[] = [];
  /** Characters in `parts` (≈ bytes). */
  chars = 0;
  private firstStep = Number.POSITIVE_INFINITY;
  private lastStep = Number.NEGATIVE_INFINITY;
  /** Latest point per metric among `parts`. */
  private latest: Record<string, SeriesPoint> = {};
  readonly queue: Chunk[] = [];
  queuedBytes = 0;
  /** Latest points of appended chunks, waiting for their `runs.jsonl` record. */
  written: Record<string, SeriesPoint> = {};
  hasWritten = false;
  /** Appended to the series file since its last fsync. */
  unsynced = false;
  /** A `latest` record appended to `runs.jsonl` since its last fsync. */
  latestUnsynced = false;
  /** The points of those records (not yet in a `durable` one). */
  private latestSinceSync: Record<string, SeriesPoint> = {};
  /** Appends of this incarnation, in order: a later chunk never overtakes an earlier one. */
  chain: Promise<void> = Promise.resolve();

  constructor(
    readonly ref: RunRef,
    readonly incarnation: string,
    private readonly ids: ChunkIds,
    private readonly chunkBytes: number,
  ) {}

  /** Adds writes; a chunk is sealed whenever the unsealed lines reach `chunkBytes`. */
  add(writes: readonly TimeSeriesWrite[]): void {
    for (const write of writes) {
      let any = false;
      for (const metric in write.values) {
        any = true;
        const value = write.values[metric]!;
        const current = this.latest[metric];
        if (current === undefined) {
          this.latest[metric] = { metric, step: write.step, wallTime: write.wallTime, value };
        } else if (write.step >= current.step) {
          // same rule as core's isLaterPoint; updated in place (this runs once per point)
          current.step = write.step;
          current.wallTime = write.wallTime;
          current.value = value;
        }
      }
      if (!any) continue;
      const line = encodeWrite(write);
      this.parts.push(line);
      this.chars += line.length;
      if (write.step < this.firstStep) this.firstStep = write.step;
      if (write.step > this.lastStep) this.lastStep = write.step;
      if (this.chars >= this.chunkBytes) this.seal();
    }
  }

  /** Seals the unsealed lines into a chunk at the end of the queue. */
  seal(): void {
    if (this.parts.length === 0) return;
    const body = Buffer.from(this.parts.join(""));
    const id = `${this.ids.writer}.${this.ids.next++}`;
    this.queue.push({
      header: chunkHeader(id, body.length, this.firstStep, this.lastStep),
      body,
      latest: this.latest,
    });
    this.queuedBytes += body.length;
    this.parts = [];
    this.chars = 0;
    this.latest = {};
    this.firstStep = Number.POSITIVE_INFINITY;
    this.lastStep = Number.NEGATIVE_INFINITY;
  }

  /** The first queued chunk was appended: its latest points now wait for their record. */
  appended(): void {
    const chunk = this.queue.shift()!;
    this.queuedBytes -= chunk.body.length;
    mergeLatest(this.written, chunk.latest);
    this.hasWritten = true;
  }

  /** The latest points of every record not yet made durable, and of `written`: a durable record's. */
  recordedLatest(): Record<string, SeriesPoint> {
    const out: Record<string, SeriesPoint> = {};
    mergeLatest(out, this.latestSinceSync);
    mergeLatest(out, this.written);
    return out;
  }

  /** `written` was recorded in `runs.jsonl`; with `durable`, every record so far is on disk. */
  recorded(durable: boolean): void {
    if (durable) this.latestSinceSync = {};
    else mergeLatest(this.latestSinceSync, this.written);
    this.latestUnsynced = !durable;
    this.written = {};
    this.hasWritten = false;
  }

  /** Buffered bytes: what a flush would append. */
  get bytes(): number {
    return this.chars + this.queuedBytes;
  }

  /** Whether anything of this incarnation still needs a write. */
  get pending(): boolean {
    return this.parts.length > 0 || this.queue.length > 0 || this.hasWritten;
  }

  /** The latest point per metric among everything not yet recorded in `runs.jsonl`. */
  pendingLatest(): Record<string, SeriesPoint> {
    const out: Record<string, SeriesPoint> = {};
    mergeLatest(out, this.written);
    for (const chunk of this.queue) mergeLatest(out, chunk.latest);
    mergeLatest(out, this.latest);
    return out;
  }

  /** The unappended chunks as bytes in the file's format, for a read while appends fail. */
  unappended(): Buffer[] {
    this.seal();
    return this.queue.map((c) => Buffer.concat([c.header, c.body]));
  }

  /** Forgets every point (the incarnation was deleted). */
  discard(): void {
    this.parts = [];
    this.chars = 0;
    this.latest = {};
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.written = {};
    this.hasWritten = false;
    this.latestSinceSync = {};
  }
}
