import type { BackendError, SeriesChunk, SeriesQuery } from "@exprun/core";
import { corruptSeriesError } from "@exprun/core";
import { BACKEND } from "./fs-errors.js";
import { parseLine } from "./jsonl.js";
import { fileSource, LIMITS, memorySource, type ReadLimits, type Source, Window } from "./series-source.js";
import { decodeScalar } from "./values.js";

export type { ReadLimits } from "./series-source.js";

export type { SeriesChunk, SeriesQuery };

const NEWLINE = 10;

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
  return corruptSeriesError({ backend: BACKEND, location: file, offset, delivered, reason });
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

  /** Points flushed durably (metric → step) this read must meet; those left were lost. */
  private readonly owed = new Map<string, number>();
  private fileSize = 0;

  constructor(
    query: SeriesQuery = {},
    private readonly limits: ReadLimits = LIMITS,
    durable: Readonly<Record<string, number>> = {},
  ) {
    this.wanted = query.metrics ? new Set(query.metrics) : undefined;
    this.from = query.steps?.from ?? Number.NEGATIVE_INFINITY;
    this.to = query.steps?.to ?? Number.POSITIVE_INFINITY;
    for (const metric in durable) {
      const step = durable[metric]!;
      if ((this.wanted === undefined || this.wanted.has(metric)) && step >= this.from && step <= this.to) {
        this.owed.set(metric, step);
      }
    }
  }

  /**
   * After a complete read: the points the run's records say a flush made durable that the file did
   * not have, as an error naming the file (it was truncated, or emptied); `undefined` when none.
   */
  lostError(file: string): BackendError | undefined {
    if (this.owed.size === 0) return undefined;
    const points = [...this.owed].slice(0, 3).map(([metric, step]) => `${metric}@${step}`);
    const more = this.owed.size > 3 ? ` and ${this.owed.size - 3} more` : "";
    return corrupt(
      file,
      this.fileSize,
      `the file ends (at ${this.fileSize} bytes) without points that a flush made durable, as the ` +
        `run's records say (${points.join(", ")}${more}): it was truncated or replaced`,
      this.delivered,
    );
  }

  /** Every point of `file` (missing: none), then of `unappended` (framed chunks still in memory). */
  async *read(file: string | undefined, unappended: readonly Buffer[] = []): AsyncGenerator<SeriesChunk> {
    const sources: (Source | undefined)[] = [file === undefined ? undefined : await fileSource(file)];
    this.fileSize = sources[0]?.size ?? 0;
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
      const owed = this.owed.get(column.metric);
      if (owed !== undefined && column.steps.subarray(0, column.length).includes(owed)) {
        this.owed.delete(column.metric);
      }
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
