import { ValidationError } from "./errors.js";
import { filterSeries, validateMetricNames, validateRange } from "./series-stream.js";
import type { SeriesChunk, SeriesColumns, SeriesPoint, SeriesQuery } from "./types.js";
import { typeName } from "./validation.js";

/**
 * The downsampled read behind `run.getTimeSeries()`: per metric, min/max envelope buckets with the
 * first and last point of every bucket (M4 aggregation: the four points that draw a bucket's line
 * exactly), the exact first and last point of the range, and the raw point count. Never sampling:
 * every point of the range falls into a bucket, so a single-point spike is always a bucket's min or max.
 */

/** What the buckets divide: steps or wall times (ms since the epoch, UTC). */
export type TimeSeriesAxis = "step" | "wallTime";

/** Buckets `getTimeSeries` makes when none are asked for: about one per pixel of a wide chart. */
export const DEFAULT_BUCKETS = 1000;
/** The most buckets one call may ask for. */
export const MAX_BUCKETS = 100_000;

export interface TimeSeriesQuery {
  /** Metric names; default every metric of the run. An unknown name is a `ValidationError`. */
  metrics?: readonly string[];
  /** The x axis that buckets divide. @default "step" */
  x?: TimeSeriesAxis;
  /**
   * Only points with `from <= x <= to` (inclusive; either bound may be omitted). With `x: "wallTime"`,
   * bounds are milliseconds since the epoch or `Date`s.
   */
  range?: { from?: number | Date; to?: number | Date };
  /** At most this many buckets per metric, 1 to 100,000. @default 1000 */
  buckets?: number;
}

/** A query after validation: the defaults filled in, every field a fresh copy. */
export interface CheckedTimeSeriesQuery {
  metrics?: string[];
  x: TimeSeriesAxis;
  range?: { from?: number; to?: number };
  buckets: number;
}

/**
 * The buckets of one metric, columnar: bucket `i` is `start[i]`, `count[i]`, `first.steps[i]`, …
 * Only non-empty buckets are listed, in increasing x. Bucket `i` holds the points with
 * `start[i] <= x < start[i] + width` (the last bucket of a closed range also holds `x === range.to`).
 */
export interface SeriesBuckets {
  /** Number of (non-empty) buckets: the length of every array below. */
  length: number;
  /** The x width of every bucket. */
  width: number;
  /** Lower x edge of each bucket (inclusive). */
  start: Float64Array;
  /** Points in each bucket (after same-step last-write-wins). */
  count: Float64Array;
  /** The point with the smallest x in each bucket (ties: the smaller step). */
  first: SeriesColumns;
  /** The point with the largest x in each bucket (ties: the larger step). */
  last: SeriesColumns;
  /**
   * The point with the smallest value (NaN ignored unless every value of the bucket is NaN; ties: the
   * smaller x, then the smaller step). ±Infinity count as values: a spike to Infinity shows.
   */
  min: SeriesColumns;
  /** The point with the largest value, by the same rules as `min`. */
  max: SeriesColumns;
}

/** One metric of a downsampled read. */
export interface DownsampledMetric {
  metric: string;
  /** Raw points of the metric in the range (one per step: a step written twice counts once). */
  count: number;
  /** The exact first point of the range (smallest x), `undefined` when the range holds none. */
  first: SeriesPoint | undefined;
  /** The exact last point of the range (largest x). */
  last: SeriesPoint | undefined;
  buckets: SeriesBuckets;
}

/** What `run.getTimeSeries()` resolves. */
export interface DownsampledTimeSeries {
  x: TimeSeriesAxis;
  /** The range asked for (bounds not given are absent). */
  range: { from?: number; to?: number };
  /** The bucket count asked for: the most any metric has. */
  buckets: number;
  /**
   * One entry per metric, in the order the metrics' series were created. Without `metrics`, a metric
   * appears when the range holds a point of it; a metric asked for by name always appears (with
   * `count: 0` and no buckets when the range holds none of its points, after the others).
   */
  series: DownsampledMetric[];
}

/**
 * Checks a `getTimeSeries` query before any I/O and returns a copy with defaults filled in.
 * Throws `ValidationError` saying what is allowed.
 */
export function validateTimeSeriesQuery(query: unknown, backend?: string): CheckedTimeSeriesQuery {
  if (query === undefined) return { x: "step", buckets: DEFAULT_BUCKETS };
  if (typeof query !== "object" || query === null || Array.isArray(query)) {
    throw new ValidationError(
      `getTimeSeries takes an object { metrics?, x?, range?: { from?, to? }, buckets? }; got ${typeName(query)}.`,
      { backend },
    );
  }
  const q = query as Record<string, unknown>;
  const x = q.x ?? "step";
  if (x !== "step" && x !== "wallTime") {
    throw new ValidationError(`x must be "step" or "wallTime"; got ${JSON.stringify(x) ?? typeName(x)}.`, {
      backend,
    });
  }
  const buckets = q.buckets ?? DEFAULT_BUCKETS;
  if (typeof buckets !== "number" || !Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
    throw new ValidationError(
      `buckets must be an integer from 1 to ${MAX_BUCKETS.toLocaleString("en-US")} (default ${DEFAULT_BUCKETS}); got ${
        typeof buckets === "number" ? String(buckets) : typeName(buckets)
      }.`,
      { backend },
    );
  }
  const out: CheckedTimeSeriesQuery = { x, buckets };
  const metrics = validateMetricNames(q.metrics, backend);
  if (metrics) out.metrics = metrics;
  const range = validateRange("range", q.range, backend);
  if (range) out.range = range;
  return out;
}

/**
 * Downsamples a run's series read through `read` (called once, and once more for metrics that had
 * a step written twice or out of order). `knownMetrics` lists the run's metrics; it is asked only when
 * a requested metric has no point in the range, to tell an empty metric from an unknown one.
 *
 * Memory: O(buckets) per metric, plus one entry per point that was written at a step not larger than
 * every step before it (rare in training logs; the second pass needs them to keep each step's last write).
 */
export async function downsampleSeries(
  read: (query: SeriesQuery) => AsyncIterable<SeriesChunk>,
  query: CheckedTimeSeriesQuery,
  knownMetrics: () => Promise<readonly string[]>,
  backend?: string,
): Promise<DownsampledTimeSeries> {
  const streamQuery: SeriesQuery = {};
  if (query.metrics) streamQuery.metrics = query.metrics;
  if (query.x === "step" && query.range) streamQuery.steps = query.range;

  const states = new Map<string, MetricState>();
  for await (const chunk of filterSeries(read(streamQuery), streamQuery)) {
    let state = states.get(chunk.metric);
    if (!state) {
      state = new MetricState(query);
      states.set(chunk.metric, state);
    }
    state.firstPass(chunk);
  }

  // A step seen twice (or out of order): read those metrics again, deferring the steps that may repeat
  // until their last write is known.
  const redo = [...states].filter(([, state]) => state.repeated !== undefined);
  if (redo.length > 0) {
    const again = new Map(redo.map(([metric, state]) => [metric, new MetricState(query, state.repeated)]));
    const redoQuery: SeriesQuery = { ...streamQuery, metrics: [...again.keys()] };
    for await (const chunk of filterSeries(read(redoQuery), redoQuery))
      again.get(chunk.metric)?.secondPass(chunk);
    for (const [metric, state] of again) {
      state.finishSecondPass();
      states.set(metric, state);
    }
  }

  // Every metric asked for (default: every metric of the run) is in the result, in series creation
  // order, with count 0 when none of its points is in the range. The stream gives creation order for
  // the metrics it delivered; when some may be missing (asked for but not delivered, or a step range
  // that left a metric out), the run's metrics give the order.
  const missing = (query.metrics ?? []).filter((m) => !states.has(m));
  const mayLackSome = missing.length > 0 || (!query.metrics && streamQuery.steps !== undefined);
  let order: readonly string[] = [...states.keys()];
  if (mayLackSome) {
    const known = await knownMetrics();
    const knownSet = new Set(known);
    const unknown = missing.filter((m) => !knownSet.has(m));
    if (unknown.length > 0) throw unknownMetrics(unknown, known, backend);
    const wanted = query.metrics ? new Set(query.metrics) : undefined;
    order = known.filter((m) => !wanted || wanted.has(m));
    // Metrics created while this read ran (absent from `known`) come last, as the stream gave them.
    order = [...order, ...[...states.keys()].filter((m) => !knownSet.has(m))];
  }
  const series: DownsampledMetric[] = order.map((metric) =>
    (states.get(metric) ?? new MetricState(query)).result(metric),
  );
  const range: { from?: number; to?: number } = {};
  if (query.range?.from !== undefined) range.from = query.range.from;
  if (query.range?.to !== undefined) range.to = query.range.to;
  return { x: query.x, range, buckets: query.buckets, series };
}

/** The `ValidationError` for metric names a run does not have, listing the ones it has. */
export function unknownMetrics(
  unknown: readonly string[],
  known: Iterable<string>,
  backend?: string,
): ValidationError {
  const names = [...known];
  const list = (xs: readonly string[]) => xs.map((m) => JSON.stringify(m)).join(", ");
  return new ValidationError(
    `Unknown metric${unknown.length === 1 ? "" : "s"} ${list(unknown)}: ${
      names.length === 0
        ? "the run has no time series"
        : `the run's metrics are ${list(names.slice(0, 50))}${names.length > 50 ? `, … (${names.length} in all)` : ""}`
    }. Omit metrics to read every one.`,
    { backend },
  );
}

// ── bucket state ─────────────────────────────────────────────────────────────────────────────────

// One bucket is STRIDE doubles: its count, then step, wall time and value of its first, last, min and
// max point. One flat array keeps a metric's state in N × 104 bytes and makes merging buckets a loop.
const STRIDE = 13;
const COUNT = 0;
const FIRST = 1;
const LAST = 4;
const MIN = 7;
const MAX = 10;

class MetricState {
  readonly #byStep: boolean;
  readonly #n: number;
  readonly #from: number;
  readonly #to: number;
  /** Both bounds given: N equal buckets over [from, to]. Otherwise power-of-two wide buckets, aligned at 0. */
  readonly #fixed: boolean;
  readonly #scale: number;
  /** Fixed grid: the width of its buckets (0 when from === to). */
  readonly #gridWidth: number;
  #width = 1;
  /**
   * Bucket indices in use, lo..hi, fewer than N apart (fixed grid: 0..N-1; otherwise floor(x / width)),
   * kept in `#slots` modulo its capacity.
   */
  #lo = 0;
  #hi = -1;
  #slots: Float64Array;
  #maxStep = Number.NEGATIVE_INFINITY;
  /** First pass: steps that arrived when a step at least as large had been seen (they may repeat). */
  repeated: Set<number> | undefined;
  /** Second pass: the steps that may repeat, and the last write of each. */
  readonly #deferSteps: Set<number> | undefined;
  readonly #deferred = new Map<number, [wallTime: number, value: number]>();

  constructor(query: CheckedTimeSeriesQuery, deferSteps?: Set<number>) {
    this.#byStep = query.x === "step";
    this.#n = query.buckets;
    this.#from = query.range?.from ?? Number.NEGATIVE_INFINITY;
    this.#to = query.range?.to ?? Number.POSITIVE_INFINITY;
    this.#fixed = query.range?.from !== undefined && query.range?.to !== undefined;
    // A span too wide for a double (from -1e308 to 1e308) is divided bound by bound instead.
    const span = this.#to - this.#from;
    this.#gridWidth =
      !this.#fixed || !(this.#to > this.#from)
        ? 0
        : Number.isFinite(span)
          ? span / this.#n
          : this.#to / this.#n - this.#from / this.#n;
    this.#scale = this.#gridWidth > 0 && Number.isFinite(span) ? this.#n / span : 0;
    // Slots grow with the span of buckets in use (up to N), so a metric with few points stays small.
    this.#slots = new Float64Array(Math.min(this.#n, 64) * STRIDE);
    this.#deferSteps = deferSteps;
  }

  firstPass(chunk: SeriesChunk): void {
    const steps = chunk.steps;
    let maxStep = this.#maxStep;
    let clean = this.repeated === undefined;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      if (s > maxStep) {
        maxStep = s;
        continue;
      }
      this.repeated ??= new Set();
      this.repeated.add(s);
      clean = false;
    }
    this.#maxStep = maxStep;
    // A metric with a repeated step is read again; until then only its repeated steps matter.
    if (clean) this.#aggregate(chunk, undefined);
  }

  secondPass(chunk: SeriesChunk): void {
    this.#aggregate(chunk, this.#deferSteps);
  }

  finishSecondPass(): void {
    const n = this.#deferred.size;
    const chunk = { steps: new Float64Array(n), wallTimes: new Float64Array(n), values: new Float64Array(n) };
    let k = 0;
    for (const [s, [t, v]] of this.#deferred) {
      chunk.steps[k] = s;
      chunk.wallTimes[k] = t;
      chunk.values[k] = v;
      k++;
    }
    this.#deferred.clear();
    this.#aggregate(chunk, undefined);
  }

  /**
   * Adds the chunk's points in the range to their buckets (points whose step is in `defer` are kept
   * aside, the last write of each step winning). Consecutive points of one bucket are folded in local
   * variables first and merged into the bucket once: series arrive mostly in x order, so this touches
   * the bucket array once per bucket rather than once per point.
   */
  #aggregate(chunk: SeriesColumns, defer: Set<number> | undefined): void {
    const { steps, wallTimes, values } = chunk;
    const byStep = this.#byStep;
    const xs = byStep ? steps : wallTimes;
    const from = this.#from;
    const to = this.#to;
    const fixed = this.#fixed;
    const scale = this.#scale;
    const gridWidth = this.#gridWidth;
    const last = this.#n - 1;
    let width = this.#width;
    let key = Number.NaN;
    let count = 0;
    let first = 0;
    let latest = 0;
    let min = 0;
    let max = 0;
    let firstX = 0;
    let lastX = 0;
    let minV = 0;
    let maxV = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      if (defer?.has(s)) {
        this.#deferred.set(s, [wallTimes[i]!, values[i]!]); // a later write of the step replaces the earlier
        continue;
      }
      const x = xs[i]!;
      if (!(x >= from && x <= to)) continue;
      let k: number;
      if (fixed) {
        k =
          scale > 0 || gridWidth === 0
            ? Math.floor((x - from) * scale)
            : Math.floor(x / gridWidth - from / gridWidth);
        if (k > last) k = last;
      } else {
        k = Math.floor(x / width);
      }
      const v = values[i]!;
      if (k !== key) {
        if (count > 0) {
          this.#mergeRun(key, chunk, count, first, latest, min, max);
          width = this.#width; // merging may have doubled the width
          if (!fixed) k = Math.floor(x / width);
        }
        key = k;
        count = 1;
        first = latest = min = max = i;
        firstX = lastX = x;
        minV = maxV = v;
        continue;
      }
      count++;
      if (x < firstX || (x === firstX && s < steps[first]!)) {
        first = i;
        firstX = x;
      }
      if (x > lastX || (x === lastX && s > steps[latest]!)) {
        latest = i;
        lastX = x;
      }
      if (beats(v, x, s, minV, xs[min]!, steps[min]!, -1)) {
        min = i;
        minV = v;
      }
      if (beats(v, x, s, maxV, xs[max]!, steps[max]!, 1)) {
        max = i;
        maxV = v;
      }
    }
    if (count > 0) this.#mergeRun(key, chunk, count, first, latest, min, max);
  }

  /** Merges a run of points of one bucket (`key`: its index at the current width) into the buckets. */
  #mergeRun(
    key: number,
    chunk: SeriesColumns,
    count: number,
    first: number,
    latest: number,
    min: number,
    max: number,
  ): void {
    let a = key;
    if (this.#hi < this.#lo) {
      this.#lo = this.#hi = a;
    } else if (a < this.#lo || a > this.#hi) {
      const lo = Math.min(this.#lo, a);
      const hi = Math.max(this.#hi, a);
      const before = this.#width;
      if (hi - lo >= this.#slots.length / STRIDE) this.#regrid(lo, hi); // a fixed grid only grows
      a = Math.floor(a / (this.#width / before));
      this.#lo = Math.min(this.#lo, a);
      this.#hi = Math.max(this.#hi, a);
    }
    const slot = mod(a, this.#slots.length / STRIDE);
    const run = RUN;
    run[COUNT] = count;
    for (const [role, i] of [
      [FIRST, first],
      [LAST, latest],
      [MIN, min],
      [MAX, max],
    ] as const) {
      run[role] = chunk.steps[i]!;
      run[role + 1] = chunk.wallTimes[i]!;
      run[role + 2] = chunk.values[i]!;
    }
    mergeBucket(this.#slots, slot * STRIDE, run, 0, this.#byStep);
  }

  /**
   * Makes room for absolute indices lo..hi (at the current width): first grows the slot array up to N,
   * then doubles the width, merging bucket pairs, until the span fits.
   */
  #regrid(lo: number, hi: number): void {
    let capacity = this.#slots.length / STRIDE;
    let width = this.#width;
    let span = hi - lo;
    while (span >= capacity && capacity < this.#n) capacity = Math.min(this.#n, capacity * 2);
    let shift = 0;
    while (span >= capacity) {
      shift++;
      width *= 2;
      span = Math.floor(hi / 2 ** shift) - Math.floor(lo / 2 ** shift);
    }
    const next = new Float64Array(capacity * STRIDE);
    const oldCapacity = this.#slots.length / STRIDE;
    const factor = 2 ** shift;
    for (let a = this.#lo; a <= this.#hi; a++) {
      const from = mod(a, oldCapacity) * STRIDE;
      if (this.#slots[from + COUNT] === 0) continue;
      mergeBucket(next, mod(Math.floor(a / factor), capacity) * STRIDE, this.#slots, from, this.#byStep);
    }
    this.#slots = next;
    this.#width = width;
    this.#lo = Math.floor(this.#lo / factor);
    this.#hi = Math.floor(this.#hi / factor);
  }

  result(metric: string): DownsampledMetric {
    const occupied: number[] = [];
    const starts: number[] = [];
    const fixed = this.#fixed;
    const width = fixed ? this.#gridWidth : this.#width;
    const capacity = this.#slots.length / STRIDE;
    for (let a = this.#lo; a <= this.#hi; a++) {
      const base = mod(a, capacity) * STRIDE;
      if (this.#slots[base + COUNT]! > 0) {
        occupied.push(base);
        starts.push(fixed ? this.#from + a * width : a * width);
      }
    }
    const n = occupied.length;
    const columns = (): SeriesColumns => ({
      steps: new Float64Array(n),
      wallTimes: new Float64Array(n),
      values: new Float64Array(n),
    });
    const buckets: SeriesBuckets = {
      length: n,
      width,
      start: Float64Array.from(starts),
      count: new Float64Array(n),
      first: columns(),
      last: columns(),
      min: columns(),
      max: columns(),
    };
    let count = 0;
    const slots = this.#slots;
    occupied.forEach((base, i) => {
      buckets.count[i] = slots[base + COUNT]!;
      count += slots[base + COUNT]!;
      for (const [role, at] of [
        [buckets.first, FIRST],
        [buckets.last, LAST],
        [buckets.min, MIN],
        [buckets.max, MAX],
      ] as const) {
        role.steps[i] = slots[base + at]!;
        role.wallTimes[i] = slots[base + at + 1]!;
        role.values[i] = slots[base + at + 2]!;
      }
    });
    const point = (role: SeriesColumns, i: number): SeriesPoint => ({
      metric,
      step: role.steps[i]!,
      wallTime: role.wallTimes[i]!,
      value: role.values[i]!,
    });
    return {
      metric,
      count,
      first: n > 0 ? point(buckets.first, 0) : undefined,
      last: n > 0 ? point(buckets.last, n - 1) : undefined,
      buckets,
    };
  }
}

/** Scratch bucket for one run of points (this code never awaits while it is in use). */
const RUN = new Float64Array(STRIDE);

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

function setRole(slots: Float64Array, at: number, s: number, t: number, v: number): void {
  slots[at] = s;
  slots[at + 1] = t;
  slots[at + 2] = v;
}

/**
 * Whether the point (value v, at x, step s) replaces the extreme (cv, cx, cs): `sign` -1 for the min,
 * 1 for the max. NaN loses to any number; between equal values (or two NaN) the smaller x wins, then
 * the smaller step, so the result does not depend on the order points arrive in.
 */
function beats(v: number, x: number, s: number, cv: number, cx: number, cs: number, sign: number): boolean {
  const vNaN = Number.isNaN(v);
  const cNaN = Number.isNaN(cv);
  if (vNaN !== cNaN) return cNaN;
  if (!vNaN && v !== cv) return sign < 0 ? v < cv : v > cv;
  return x < cx || (x === cx && s < cs);
}

/** Folds the bucket at `from` in `src` into the bucket at `base` in `dst` (used when buckets double). */
function mergeBucket(
  dst: Float64Array,
  base: number,
  src: Float64Array,
  from: number,
  byStep: boolean,
): void {
  if (dst[base + COUNT] === 0) {
    dst.set(src.subarray(from, from + STRIDE), base);
    return;
  }
  dst[base + COUNT]! += src[from + COUNT]!;
  const xOf = (a: Float64Array, at: number) => (byStep ? a[at]! : a[at + 1]!);
  const copy = (role: number) =>
    setRole(dst, base + role, src[from + role]!, src[from + role + 1]!, src[from + role + 2]!);
  const fx = xOf(src, from + FIRST);
  const dfx = xOf(dst, base + FIRST);
  if (fx < dfx || (fx === dfx && src[from + FIRST]! < dst[base + FIRST]!)) copy(FIRST);
  const lx = xOf(src, from + LAST);
  const dlx = xOf(dst, base + LAST);
  if (lx > dlx || (lx === dlx && src[from + LAST]! > dst[base + LAST]!)) copy(LAST);
  for (const [role, sign] of [
    [MIN, -1],
    [MAX, 1],
  ] as const) {
    const at = from + role;
    const to = base + role;
    if (beats(src[at + 2]!, xOf(src, at), src[at]!, dst[to + 2]!, xOf(dst, to), dst[to]!, sign)) copy(role);
  }
}
