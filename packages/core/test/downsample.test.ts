import { describe, expect, it } from "vitest";
import {
  type DownsampledMetric,
  downsampleSeries,
  type SeriesChunk,
  type SeriesPoint,
  type TimeSeriesQuery,
  ValidationError,
  validateTimeSeriesQuery,
} from "../src/index.js";
import { random, readerOf, toChunks } from "./helpers/series.js";

const none = async () => [] as string[];

async function downsample(chunks: SeriesChunk[], query: TimeSeriesQuery, known = none) {
  return downsampleSeries(readerOf(chunks).read, validateTimeSeriesQuery(query), known);
}

/** One metric, steps 0..n-1, wall time 1000 + step, value f(step), in chunks of 65,536. */
function series(n: number, f: (step: number) => number, metric = "loss"): SeriesChunk[] {
  const chunks: SeriesChunk[] = [];
  for (let start = 0; start < n; start += 65_536) {
    const size = Math.min(65_536, n - start);
    const chunk = {
      metric,
      steps: new Float64Array(size),
      wallTimes: new Float64Array(size),
      values: new Float64Array(size),
    };
    for (let i = 0; i < size; i++) {
      chunk.steps[i] = start + i;
      chunk.wallTimes[i] = 1000 + start + i;
      chunk.values[i] = f(start + i);
    }
    chunks.push(chunk);
  }
  return chunks;
}

/** Same-step last-write-wins, by brute force. */
function settle(points: readonly SeriesPoint[]): SeriesPoint[] {
  const last = new Map<string, SeriesPoint>();
  for (const p of points) last.set(`${p.metric}\u0000${p.step}`, p);
  return [...last.values()];
}

/** The buckets a metric must have, by brute force, given which bucket each point belongs to. */
function expectedBuckets(
  points: readonly SeriesPoint[],
  x: "step" | "wallTime",
  bucketOf: (x: number) => number,
) {
  const xOf = (p: SeriesPoint) => (x === "step" ? p.step : p.wallTime);
  const groups = new Map<number, SeriesPoint[]>();
  for (const p of points) {
    const k = bucketOf(xOf(p));
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  const byX = (a: SeriesPoint, b: SeriesPoint) => xOf(a) - xOf(b) || a.step - b.step;
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, ps]) => {
      const sorted = [...ps].sort(byX);
      const numbers = sorted.filter((p) => !Number.isNaN(p.value));
      const pool = numbers.length > 0 ? numbers : sorted;
      // the first of equal extremes in x order (then step order)
      const min = pool.reduce((m, p) => (p.value < m.value ? p : m));
      const max = pool.reduce((m, p) => (p.value > m.value ? p : m));
      return { k, count: ps.length, first: sorted[0]!, last: sorted.at(-1)!, min, max };
    });
}

function actualBuckets(result: DownsampledMetric) {
  const b = result.buckets;
  const at = (role: typeof b.first, i: number) => ({
    step: role.steps[i],
    wallTime: role.wallTimes[i],
    value: role.values[i],
  });
  return Array.from({ length: b.length }, (_, i) => ({
    start: b.start[i]!,
    count: b.count[i]!,
    first: at(b.first, i),
    last: at(b.last, i),
    min: at(b.min, i),
    max: at(b.max, i),
  }));
}

const plain = (p: SeriesPoint) => ({ step: p.step, wallTime: p.wallTime, value: p.value });

/** Random points of two metrics: repeated steps, steps out of order, NaN and ±Infinity values. */
function messyPoints(seed: number, n: number): SeriesPoint[] {
  const rnd = random(seed);
  const points: SeriesPoint[] = [];
  let step = 0;
  for (let i = 0; i < n; i++) {
    const metric = rnd() < 0.7 ? "a" : "b";
    const r = rnd();
    if (r < 0.15)
      step = Math.floor(rnd() * (step + 1)); // go back: a rewrite or an out-of-order step
    else step += 1 + Math.floor(rnd() * 3);
    const v = rnd();
    const value = v < 0.03 ? Number.NaN : v < 0.04 ? Number.POSITIVE_INFINITY : Math.round(rnd() * 20) - 10; // many ties
    points.push({ metric, step, wallTime: 5000 + Math.floor(rnd() * 200) * 7, value });
  }
  return points;
}

describe("getTimeSeries downsampling: never hides a point", () => {
  it("a spike at one step among 1,000,000 points is the max of its bucket, on every grid", async () => {
    const spikeStep = 777_777;
    const chunks = series(1_000_000, (s) => (s === spikeStep ? 1e6 : Math.sin(s / 1000)));
    for (const query of [
      { buckets: 2000 },
      { buckets: 2000, range: { from: 0, to: 999_999 } },
      { buckets: 2000, x: "wallTime" as const },
      { buckets: 1 },
    ]) {
      const [loss] = (await downsample(chunks, query)).series;
      expect(loss!.count).toBe(1_000_000);
      const top = loss!.buckets.max.values.indexOf(1e6);
      expect(top, JSON.stringify(query)).toBeGreaterThanOrEqual(0);
      expect(loss!.buckets.max.steps[top]).toBe(spikeStep);
      expect(loss!.buckets.length).toBeLessThanOrEqual(query.buckets);
    }
  });

  it("a negative spike is the min of its bucket, and the range's first and last points are exact", async () => {
    const chunks = series(300_001, (s) => (s === 123_457 ? -1e9 : 1 + (s % 7)));
    const [loss] = (await downsample(chunks, { buckets: 100 })).series;
    expect(loss!.first).toEqual({ metric: "loss", step: 0, wallTime: 1000, value: 1 });
    expect(loss!.last).toEqual({
      metric: "loss",
      step: 300_000,
      wallTime: 301_000,
      value: 1 + (300_000 % 7),
    });
    expect([...loss!.buckets.min.values]).toContain(-1e9);
    expect([...loss!.buckets.count].reduce((a, b) => a + b, 0)).toBe(300_001);
  });

  it("every point is counted exactly once across buckets (closed range, N equal buckets)", async () => {
    const chunks = series(10_000, (s) => s);
    const [loss] = (await downsample(chunks, { buckets: 7, range: { from: 100, to: 9_099 } })).series;
    expect(loss!.count).toBe(9_000);
    expect(loss!.buckets.length).toBe(7);
    expect(loss!.buckets.width).toBeCloseTo(8_999 / 7);
    expect([...loss!.buckets.start]).toEqual(Array.from({ length: 7 }, (_, i) => 100 + i * (8_999 / 7)));
    expect(loss!.first?.step).toBe(100);
    expect(loss!.last?.step).toBe(9_099);
    for (let i = 0; i < 7; i++) {
      // values are the steps: min = first, max = last, counts add up
      expect(loss!.buckets.min.values[i]).toBe(loss!.buckets.first.steps[i]);
      expect(loss!.buckets.max.values[i]).toBe(loss!.buckets.last.steps[i]);
      expect(loss!.buckets.count[i]).toBe(loss!.buckets.last.steps[i]! - loss!.buckets.first.steps[i]! + 1);
    }
    expect(loss!.buckets.last.steps[6]).toBe(9_099); // the upper bound is inside the last bucket
  });

  it("fewer points than buckets: one bucket per point, empty buckets omitted", async () => {
    const chunks = series(5, (s) => s * 10);
    const [loss] = (await downsample(chunks, {})).series;
    expect(loss!.buckets.length).toBe(5);
    expect(loss!.buckets.width).toBe(1);
    expect([...loss!.buckets.count]).toEqual([1, 1, 1, 1, 1]);
    const [sparse] = (await downsample(chunks, { buckets: 1000, range: { from: 0, to: 4 } })).series;
    expect(sparse!.buckets.length).toBe(5);
  });

  it("a step written again keeps only its last value: the superseded spike is gone", async () => {
    const points: SeriesPoint[] = [];
    for (let s = 0; s < 1000; s++) points.push({ metric: "loss", step: s, wallTime: s, value: 1 });
    points.push({ metric: "loss", step: 500, wallTime: 2000, value: 99 }); // rewritten: a spike...
    points.push({ metric: "loss", step: 500, wallTime: 2001, value: 2 }); // ...rewritten again
    const { read, calls } = readerOf(toChunks(points, 64));
    const [loss] = (await downsampleSeries(read, validateTimeSeriesQuery({ buckets: 10 }), none)).series;
    expect(calls()).toBe(2); // the metric with a repeated step is read a second time
    expect(loss!.count).toBe(1000);
    expect(Math.max(...loss!.buckets.max.values)).toBe(2);
    expect([...loss!.buckets.max.values]).not.toContain(99);
  });

  it("a series written in step order is read once", async () => {
    const { read, calls } = readerOf(series(10_000, Math.sqrt));
    await downsampleSeries(read, validateTimeSeriesQuery({ buckets: 10 }), none);
    expect(calls()).toBe(1);
  });

  it("with x = wallTime, a step rewritten outside the range leaves it (dedup before the range)", async () => {
    const points: SeriesPoint[] = [
      { metric: "m", step: 1, wallTime: 100, value: 1 },
      { metric: "m", step: 2, wallTime: 200, value: 50 },
      { metric: "m", step: 3, wallTime: 300, value: 3 },
      { metric: "m", step: 2, wallTime: 900, value: 2 }, // step 2 now lives at 900
    ];
    const result = await downsample(toChunks(points, 2), { x: "wallTime", range: { from: 0, to: 500 } });
    const [m] = result.series;
    expect(m!.count).toBe(2);
    expect(Math.max(...m!.buckets.max.values)).toBe(3);
    expect(result.x).toBe("wallTime");
    expect(result.range).toEqual({ from: 0, to: 500 });
  });

  it("matches a brute-force reference on messy data, x = step and x = wallTime, closed ranges", async () => {
    for (const seed of [1, 2, 3]) {
      const points = messyPoints(seed, 4_000);
      const settled = settle(points);
      for (const [x, from, to, buckets] of [
        ["step", 10, 3_000, 37],
        ["wallTime", 5_000, 6_393, 50],
        ["step", 200, 200, 5],
      ] as const) {
        const result = await downsample(toChunks(points, 97), { x, range: { from, to }, buckets });
        const scale = to > from ? buckets / (to - from) : 0;
        const bucketOf = (v: number) => Math.min(Math.floor((v - from) * scale), buckets - 1);
        for (const metric of ["a", "b"]) {
          const inRange = settled.filter(
            (p) => p.metric === metric && (x === "step" ? p.step : p.wallTime) >= from,
          );
          const mine = inRange.filter((p) => (x === "step" ? p.step : p.wallTime) <= to);
          const expected = expectedBuckets(mine, x, bucketOf);
          const got = result.series.find((s) => s.metric === metric);
          if (!got) {
            // a metric not asked for by name appears only when the range holds a point of it
            expect(mine).toEqual([]);
            continue;
          }
          expect(got.count, `${seed} ${x} ${metric}`).toBe(mine.length);
          const actual = actualBuckets(got);
          expect(actual.map((b) => b.count)).toEqual(expected.map((b) => b.count));
          for (const role of ["first", "last", "min", "max"] as const) {
            expect(
              actual.map((b) => b[role]),
              `${seed} ${x} ${metric} ${role}`,
            ).toEqual(expected.map((b) => plain(b[role])));
          }
          expect(actual.map((b) => b.start)).toEqual(
            expected.map((b) => from + b.k * ((to - from) / buckets)),
          );
        }
      }
    }
  });

  it("matches a brute-force reference on messy data with open ranges (power-of-two buckets)", async () => {
    for (const seed of [4, 5]) {
      const points = messyPoints(seed, 6_000);
      const settled = settle(points);
      for (const [x, buckets] of [
        ["step", 64],
        ["wallTime", 33],
        ["step", 100_000],
      ] as const) {
        const result = await downsample(toChunks(points, 128), { x, buckets });
        for (const got of result.series) {
          const mine = settled.filter((p) => p.metric === got.metric);
          const width = got.buckets.width;
          const xs = mine.map((p) => (x === "step" ? p.step : p.wallTime));
          const lo = Math.min(...xs);
          const hi = Math.max(...xs);
          expect(Math.log2(width) % 1).toBe(0); // a power of two
          expect(Math.floor(hi / width) - Math.floor(lo / width)).toBeLessThan(buckets);
          if (width > 1)
            expect(Math.floor(hi / (width / 2)) - Math.floor(lo / (width / 2))).toBeGreaterThanOrEqual(
              buckets,
            );
          const expected = expectedBuckets(mine, x, (v) => Math.floor(v / width));
          const actual = actualBuckets(got);
          expect(got.count).toBe(mine.length);
          expect(actual.map((b) => b.start)).toEqual(expected.map((b) => b.k * width));
          expect(actual.map((b) => b.count)).toEqual(expected.map((b) => b.count));
          for (const role of ["first", "last", "min", "max"] as const) {
            expect(actual.map((b) => b[role])).toEqual(expected.map((b) => plain(b[role])));
          }
        }
      }
    }
  });

  it("NaN is never a bucket's min or max beside numbers; ±Infinity are", async () => {
    const points: SeriesPoint[] = [
      { metric: "m", step: 1, wallTime: 1, value: Number.NaN },
      { metric: "m", step: 2, wallTime: 2, value: 5 },
      { metric: "m", step: 3, wallTime: 3, value: Number.POSITIVE_INFINITY },
      { metric: "m", step: 4, wallTime: 4, value: Number.NaN },
      { metric: "n", step: 1, wallTime: 1, value: Number.NaN },
    ];
    const result = await downsample(toChunks(points, 10), { buckets: 1 });
    const [m, n] = result.series;
    expect(m!.buckets.min.values[0]).toBe(5);
    expect(m!.buckets.max.values[0]).toBe(Number.POSITIVE_INFINITY);
    expect(m!.buckets.first.values[0]).toBeNaN();
    expect(m!.count).toBe(4);
    expect(n!.buckets.min.values[0]).toBeNaN();
  });

  it("metrics come in creation order; a requested metric without points in the range has count 0", async () => {
    const chunks = [...series(10, (s) => s, "zeta"), ...series(10, (s) => s, "alpha")];
    const all = await downsample(chunks, {});
    expect(all.series.map((s) => s.metric)).toEqual(["zeta", "alpha"]);
    const some = await downsample(chunks, { metrics: ["alpha", "late"], range: { from: 100 } }, async () => [
      "zeta",
      "alpha",
      "late",
    ]);
    expect(some.series.map((s) => [s.metric, s.count])).toEqual([
      ["alpha", 0],
      ["late", 0],
    ]);
    expect(some.series[0]!.first).toBeUndefined();
    expect(some.series[0]!.buckets.length).toBe(0);
  });

  it("an unknown metric is a ValidationError naming it and the run's metrics", async () => {
    const chunks = series(10, (s) => s, "loss");
    const error = await downsample(chunks, { metrics: ["los"] }, async () => ["loss", "acc"]).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/Unknown metric "los".*"loss", "acc"/);
  });
});

describe("getTimeSeries bad input: a ValidationError saying what is allowed", () => {
  const bad: [unknown, RegExp][] = [
    [{ range: { from: 10, to: 5 } }, /range\.from \(10\) must not be greater than range\.to \(5\)/],
    [{ range: { from: Number.NaN } }, /range\.from must be a finite number.*NaN/],
    [{ range: { to: Number.POSITIVE_INFINITY } }, /range\.to must be a finite number/],
    [{ range: { from: "1" } }, /range\.from must be a finite number/],
    [{ range: 5 }, /range must be an object/],
    [{ buckets: 0 }, /buckets must be an integer from 1 to 100,000.*got 0/],
    [{ buckets: 100_001 }, /buckets must be an integer from 1 to 100,000/],
    [{ buckets: 2.5 }, /buckets must be an integer/],
    [{ buckets: "10" }, /buckets must be an integer.*got string/],
    [{ metrics: "loss" }, /metrics must be an array of metric names/],
    [{ metrics: [1] }, /metrics must contain only non-empty metric names/],
    [{ metrics: [""] }, /non-empty/],
    [{ x: "time" }, /x must be "step" or "wallTime"/],
    ["loss", /getTimeSeries takes an object/],
  ];
  it.each(bad)("%j", async (query, message) => {
    let reads = 0;
    const read = () => {
      reads++;
      return (async function* () {})();
    };
    const run = async () => downsampleSeries(read, validateTimeSeriesQuery(query), none);
    await expect(run()).rejects.toThrow(ValidationError);
    await expect(run()).rejects.toThrow(message);
    expect(reads).toBe(0);
  });

  it("Dates are accepted as wall-time bounds", () => {
    expect(validateTimeSeriesQuery({ x: "wallTime", range: { from: new Date(5), to: new Date(9) } })).toEqual(
      {
        x: "wallTime",
        buckets: 1000,
        range: { from: 5, to: 9 },
      },
    );
  });
});

describe("every metric asked for is in the result, in creation order", () => {
  // Guards against: a step range that holds none of a metric's points dropping that metric (while a
  // wall-time range, or naming it in `metrics`, kept it with count 0), and a named metric with no
  // points in the range moved to the end instead of its creation place.
  const chunks = [
    ...series(10, (s) => s, "early"),
    ...series(100, (s) => s, "late"),
    ...series(10, (s) => s, "tail"),
  ];
  const known = async () => ["early", "late", "tail"];
  const shape = (r: { series: DownsampledMetric[] }) => r.series.map((m) => [m.metric, m.count]);
  it("by step, with and without metrics", async () => {
    const range = { from: 50, to: 60 };
    expect(shape(await downsample(chunks, { range }, known))).toEqual([
      ["early", 0],
      ["late", 11],
      ["tail", 0],
    ]);
    expect(shape(await downsample(chunks, { range: { from: 50 } }, known))).toEqual([
      ["early", 0],
      ["late", 50],
      ["tail", 0],
    ]);
    expect(shape(await downsample(chunks, { range, metrics: ["tail", "late", "early"] }, known))).toEqual([
      ["early", 0],
      ["late", 11],
      ["tail", 0],
    ]);
  });
  it("by wall time, the same", async () => {
    const range = { from: 1050, to: 1060 };
    expect(shape(await downsample(chunks, { x: "wallTime", range }, known))).toEqual([
      ["early", 0],
      ["late", 11],
      ["tail", 0],
    ]);
  });
  it("without a range every metric has points, and the run's metrics are not asked for", async () => {
    let asked = 0;
    const counting = async () => {
      asked++;
      return ["early", "late", "tail"];
    };
    expect(shape(await downsample(chunks, {}, counting))).toEqual([
      ["early", 10],
      ["late", 100],
      ["tail", 10],
    ]);
    expect(asked).toBe(0);
  });
});

describe("a range wider than a double can span", () => {
  // Guards against: (to - from) overflowing to Infinity, every point in one bucket starting at NaN.
  it("still makes equal buckets with finite starts", async () => {
    const result = await downsample(
      series(21, (s) => s),
      {
        range: { from: -Number.MAX_VALUE, to: Number.MAX_VALUE },
        buckets: 10,
      },
    );
    const { buckets, count } = result.series[0]!;
    expect(count).toBe(21);
    expect(buckets.width).toBe(Number.MAX_VALUE / 5);
    expect([...buckets.start].every(Number.isFinite)).toBe(true);
    expect([...buckets.count].reduce((a, b) => a + b, 0)).toBe(21);
  });
});
