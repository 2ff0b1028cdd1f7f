import type { Backend } from "./backend.js";
import { BackendError, ValidationError } from "./errors.js";
import { isLaterPoint } from "./series.js";
import type { RunRecord, RunRef, SeriesChunk, SeriesColumns, SeriesPoint, SeriesQuery } from "./types.js";
import { typeName } from "./validation.js";

/**
 * The streaming series read and the rules derived from it, each implemented once: filtering a
 * stream again (stores MAY ignore a query), collecting it, the latest point per metric, turning an
 * array of points into chunks (for stores that read whole arrays), and the one message for a corrupt
 * chunk met while streaming.
 */

/** Points per chunk that core's own helpers produce; stores choose their own. */
export const DEFAULT_CHUNK_POINTS = 65_536;

/** A query as core passes it on: a fresh copy, every field checked. */
export interface CheckedSeriesQuery extends SeriesQuery {
  metrics?: string[];
  steps?: { from?: number; to?: number };
}

/**
 * Checks a `readSeries` query and returns a copy of it (the value checked is the value used).
 * `metrics` must be an array of non-empty strings; `steps.from`/`steps.to` finite numbers with
 * `from <= to`. Throws `ValidationError` saying what is allowed.
 */
export function validateSeriesQuery(query: unknown, backend?: string): CheckedSeriesQuery {
  if (query === undefined) return {};
  if (typeof query !== "object" || query === null || Array.isArray(query)) {
    throw new ValidationError(
      `A series query must be an object { metrics?, steps?: { from?, to? } }; got ${typeName(query)}.`,
      { backend },
    );
  }
  const { metrics, steps } = query as { metrics?: unknown; steps?: unknown };
  const out: CheckedSeriesQuery = {};
  const checkedMetrics = validateMetricNames(metrics, backend);
  if (checkedMetrics) out.metrics = checkedMetrics;
  if (steps !== undefined) {
    const range = validateRange("steps", steps, backend);
    if (range) out.steps = range;
  }
  return out;
}

/** `metrics` of a query: `undefined` (all) or an array of non-empty strings, returned as a copy without duplicates. */
export function validateMetricNames(metrics: unknown, backend?: string): string[] | undefined {
  if (metrics === undefined) return undefined;
  if (!Array.isArray(metrics)) {
    throw new ValidationError(
      `metrics must be an array of metric names (or omitted for every metric); got ${typeName(metrics)}.`,
      { backend },
    );
  }
  for (const name of metrics) {
    if (typeof name !== "string" || name === "") {
      throw new ValidationError(
        `metrics must contain only non-empty metric names (strings); got ${name === "" ? '""' : typeName(name)}.`,
        { backend },
      );
    }
  }
  return [...new Set(metrics as string[])];
}

/**
 * A `{ from?, to? }` range: each bound a finite number (a `Date` is taken as milliseconds), `from <= to`.
 * Returns `undefined` when neither bound is given.
 */
export function validateRange(
  what: string,
  range: unknown,
  backend?: string,
): { from?: number; to?: number } | undefined {
  if (range === undefined) return undefined;
  if (typeof range !== "object" || range === null || Array.isArray(range) || range instanceof Date) {
    throw new ValidationError(`${what} must be an object { from?, to? }; got ${typeName(range)}.`, {
      backend,
    });
  }
  const bound = (key: "from" | "to"): number | undefined => {
    const raw = (range as Record<string, unknown>)[key];
    if (raw === undefined) return undefined;
    const value = raw instanceof Date ? raw.getTime() : raw;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new ValidationError(
        `${what}.${key} must be a finite number (or omitted for an open range); got ${
          typeof value === "number" ? String(value) : typeName(raw)
        }.`,
        { backend },
      );
    }
    return value;
  };
  const from = bound("from");
  const to = bound("to");
  if (from !== undefined && to !== undefined && from > to) {
    throw new ValidationError(`${what}.from (${from}) must not be greater than ${what}.to (${to}).`, {
      backend,
    });
  }
  if (from === undefined && to === undefined) return undefined;
  const out: { from?: number; to?: number } = {};
  if (from !== undefined) out.from = from;
  if (to !== undefined) out.to = to;
  return out;
}

/**
 * Applies `query` to a stream again (a store MAY ignore it): chunks of other metrics are dropped,
 * points outside `steps` removed. A chunk that passes whole is handed on as is; empty chunks are dropped.
 */
export async function* filterSeries(
  chunks: AsyncIterable<SeriesChunk>,
  query: SeriesQuery = {},
): AsyncGenerator<SeriesChunk> {
  const wanted = query.metrics ? new Set(query.metrics) : undefined;
  const from = query.steps?.from ?? Number.NEGATIVE_INFINITY;
  const to = query.steps?.to ?? Number.POSITIVE_INFINITY;
  const ranged = from !== Number.NEGATIVE_INFINITY || to !== Number.POSITIVE_INFINITY;
  for await (const chunk of chunks) {
    if (wanted && !wanted.has(chunk.metric)) continue;
    const n = chunk.steps.length;
    if (n === 0) continue;
    if (!ranged) {
      yield chunk;
      continue;
    }
    const steps = chunk.steps;
    let inside = 0;
    for (let i = 0; i < n; i++) {
      const s = steps[i]!;
      if (s >= from && s <= to) inside++;
    }
    if (inside === n) yield chunk;
    else if (inside > 0) yield sliceWhere(chunk, inside, (i) => steps[i]! >= from && steps[i]! <= to);
  }
}

function sliceWhere(chunk: SeriesChunk, count: number, keep: (i: number) => boolean): SeriesChunk {
  const out = { metric: chunk.metric, ...allocColumns(count) };
  let k = 0;
  for (let i = 0; i < chunk.steps.length; i++) {
    if (!keep(i)) continue;
    out.steps[k] = chunk.steps[i]!;
    out.wallTimes[k] = chunk.wallTimes[i]!;
    out.values[k] = chunk.values[i]!;
    k++;
  }
  return out;
}

function allocColumns(n: number): SeriesColumns {
  return { steps: new Float64Array(n), wallTimes: new Float64Array(n), values: new Float64Array(n) };
}

/**
 * Collects a stream into points, in stream order (every stored point; same-(metric, step) points in
 * write order). This materialises the series: use it for small series and tests, and stream otherwise.
 */
export async function collectSeriesPoints(chunks: AsyncIterable<SeriesChunk>): Promise<SeriesPoint[]> {
  const points: SeriesPoint[] = [];
  for await (const { metric, steps, wallTimes, values } of chunks) {
    for (let i = 0; i < steps.length; i++) {
      points.push({ metric, step: steps[i]!, wallTime: wallTimes[i]!, value: values[i]! });
    }
  }
  return points;
}

/** The latest point of each metric in a stream (largest step, ties to the last written), keys in creation order. */
export async function latestOfSeries(
  chunks: AsyncIterable<SeriesChunk>,
): Promise<Record<string, SeriesPoint>> {
  const latest: Record<string, SeriesPoint> = {};
  for await (const { metric, steps, wallTimes, values } of chunks) {
    const n = steps.length;
    if (n === 0) continue;
    let best = -1;
    let bestStep = latest[metric]?.step ?? Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (steps[i]! >= bestStep) {
        bestStep = steps[i]!;
        best = i;
      }
    }
    if (best < 0) continue;
    const candidate = { metric, step: steps[best]!, wallTime: wallTimes[best]!, value: values[best]! };
    if (isLaterPoint(latest[metric], candidate)) latest[metric] = candidate;
  }
  return latest;
}

/**
 * Groups points (in write order) into chunks: one metric after another in order of first appearance,
 * each metric's points in their original order, at most `chunkPoints` per chunk. For stores whose
 * storage yields whole arrays of points.
 */
export function chunksFromPoints(
  points: Iterable<SeriesPoint>,
  chunkPoints: number = DEFAULT_CHUNK_POINTS,
): SeriesChunk[] {
  const byMetric = new Map<string, SeriesChunkBuilder>();
  for (const p of points) {
    let builder = byMetric.get(p.metric);
    if (!builder) {
      builder = new SeriesChunkBuilder(p.metric);
      byMetric.set(p.metric, builder);
    }
    builder.push(p.step, p.wallTime, p.value);
  }
  const chunks: SeriesChunk[] = [];
  for (const builder of byMetric.values()) {
    const all = builder.take();
    const n = all.steps.length;
    if (n <= chunkPoints) {
      chunks.push(all);
      continue;
    }
    for (let start = 0; start < n; start += chunkPoints) {
      const end = Math.min(n, start + chunkPoints);
      chunks.push({
        metric: all.metric,
        steps: all.steps.slice(start, end),
        wallTimes: all.wallTimes.slice(start, end),
        values: all.values.slice(start, end),
      });
    }
  }
  return chunks;
}

/** Accumulates one metric's points into growable typed arrays; `take()` hands them out as a chunk. */
export class SeriesChunkBuilder {
  readonly metric: string;
  #steps: Float64Array;
  #wallTimes: Float64Array;
  #values: Float64Array;
  #length = 0;

  constructor(metric: string, capacity = 1024) {
    this.metric = metric;
    this.#steps = new Float64Array(capacity);
    this.#wallTimes = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
  }

  get length(): number {
    return this.#length;
  }

  push(step: number, wallTime: number, value: number): void {
    if (this.#length === this.#steps.length) this.#grow();
    const i = this.#length++;
    this.#steps[i] = step;
    this.#wallTimes[i] = wallTime;
    this.#values[i] = value;
  }

  /** The points so far as a chunk (arrays trimmed to length); the builder starts empty again. */
  take(): SeriesChunk {
    const n = this.#length;
    const trim = (a: Float64Array) => (a.length === n ? a : a.slice(0, n));
    const chunk = {
      metric: this.metric,
      steps: trim(this.#steps),
      wallTimes: trim(this.#wallTimes),
      values: trim(this.#values),
    };
    this.#steps = new Float64Array(1024);
    this.#wallTimes = new Float64Array(1024);
    this.#values = new Float64Array(1024);
    this.#length = 0;
    return chunk;
  }

  #grow(): void {
    const grow = (a: Float64Array) => {
      const b = new Float64Array(Math.max(16, a.length * 2));
      b.set(a);
      return b;
    };
    this.#steps = grow(this.#steps);
    this.#wallTimes = grow(this.#wallTimes);
    this.#values = grow(this.#values);
  }
}

/**
 * Every point of a run as an array (validated query, re-filtered). For tests and small series; prefer
 * streaming (`backend.readSeries`, `run.readTimeSeries()`) for anything large.
 */
export async function readSeriesPoints(
  backend: Pick<Backend, "readSeries" | "name">,
  ref: RunRef,
  query?: SeriesQuery,
): Promise<SeriesPoint[]> {
  const checked = validateSeriesQuery(query, backend.name);
  return collectSeriesPoints(filterSeries(backend.readSeries(ref, checked), checked));
}

/** The latest point of each metric: the store's `latestTimeSeries` when it has one, else derived from the stream. */
export async function latestSeriesPoints(
  backend: Pick<Backend, "readSeries" | "latestTimeSeries">,
  ref: RunRef,
): Promise<Record<string, SeriesPoint>> {
  if (backend.latestTimeSeries) return backend.latestTimeSeries(ref);
  return latestOfSeries(backend.readSeries(ref));
}

/**
 * Fills `latestTimeSeries` of listed runs whose store omitted it (`listRuns` MAY), one streamed read per
 * such run. Records that carry it are left as they are.
 */
export async function fillLatestTimeSeries(
  backend: Pick<Backend, "readSeries" | "latestTimeSeries">,
  records: RunRecord[],
): Promise<RunRecord[]> {
  for (const record of records) {
    if (record.latestTimeSeries) continue;
    record.latestTimeSeries = await latestSeriesPoints(backend, {
      experiment: record.experiment,
      run: record.name,
    });
  }
  return records;
}

export interface CorruptSeriesDetails {
  /** The backend's name, e.g. `"file"`. */
  backend: string;
  /** The file path or object key holding the damaged data. */
  location: string;
  /** Byte offset within `location` where the damaged data starts. */
  offset: number;
  /** Points this read delivered before the damaged data. */
  delivered: number;
  /** What is wrong, e.g. `"the line is not a JSON object"`. */
  reason: string;
  cause?: unknown;
}

/**
 * The one error for corrupt series data met while streaming (a `BackendError`, code `BACKEND`):
 * names the file or key, the offset, what is wrong, and how many points were delivered before it.
 */
export function corruptSeriesError(details: CorruptSeriesDetails): BackendError {
  const { backend, location, offset, delivered, reason, cause } = details;
  const points = `${delivered.toLocaleString("en-US")} point${delivered === 1 ? "" : "s"}`;
  return new BackendError(
    `Corrupt time-series data in ${location} at byte offset ${offset}: ${reason}. ` +
      `The read stopped there after delivering ${points}; the points before it are intact. ` +
      `Restore ${location} from a backup, or remove the damaged part, to read the rest.`,
    cause === undefined ? { backend } : { backend, cause },
  );
}
