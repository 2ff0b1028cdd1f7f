import { describe, expect, it } from "vitest";
import {
  buildTimeSeriesDataFrame,
  dataFrameColumns,
  latestPoints,
  type SeriesChunk,
  type SeriesPoint,
  settlePoints,
  timeSeriesDataFrame,
} from "../src/index.js";
import { random, toChunks } from "./helpers/series.js";

describe("time-series rows", () => {
  it("the last write of a (metric, step) wins and rows sort by step", () => {
    const points = [
      { metric: "a", step: 2, wallTime: 10, value: 1 },
      { metric: "a", step: 1, wallTime: 11, value: 2 },
      { metric: "a", step: 2, wallTime: 10, value: 3 },
    ];
    expect(settlePoints(points).map((p) => [p.step, p.value])).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(buildTimeSeriesDataFrame(points)).toEqual([
      { step: 1, wall_time: new Date(11), a: 2 },
      { step: 2, wall_time: new Date(10), a: 3 },
    ]);
  });

  it("the latest point is the largest step, ties to the last written", () => {
    const latest = latestPoints([
      { metric: "a", step: 5, wallTime: 1, value: 1 },
      { metric: "a", step: 3, wallTime: 2, value: 2 },
      { metric: "a", step: 5, wallTime: 3, value: 3 },
    ]);
    expect(latest.a).toEqual({ metric: "a", step: 5, wallTime: 3, value: 3 });
  });
});

describe("time-series DataFrame on the stream (Python's get_time_series_data_frame)", () => {
  const p = (metric: string, step: number, wallTime: number, value: number): SeriesPoint => ({
    metric,
    step,
    wallTime,
    value,
  });
  async function* stream(chunks: SeriesChunk[]) {
    yield* chunks;
  }

  /** The rule written the slow, obvious way: settle, group by (step, wall time), sort. */
  function reference(points: SeriesPoint[]) {
    const rows = new Map<string, Record<string, unknown>>();
    for (const q of settlePoints(points)) {
      const key = `${q.step}/${q.wallTime}`;
      if (!rows.has(key)) rows.set(key, { step: q.step, wall_time: new Date(q.wallTime) });
      rows.get(key)![q.metric] = q.value;
    }
    return [...rows.values()];
  }

  it("columns are step, wall_time, then metrics in series creation order, on every row", async () => {
    const points = [p("zeta", 5, 100, 1), p("alpha", 1, 50, 2), p("mid", 3, 70, 3), p("zeta", 1, 50, 4)];
    const rows = await timeSeriesDataFrame(stream(toChunks(points, 1)));
    expect(rows.map((r) => r.step)).toEqual([1, 3, 5]);
    for (const row of rows) expect(Object.keys(row)).toEqual(["step", "wall_time", "zeta", "alpha", "mid"]);
    expect(rows[0]).toEqual({ step: 1, wall_time: new Date(50), zeta: 4, alpha: 2 });
    expect(rows[0]!.mid).toBeUndefined();
    expect(dataFrameColumns(rows)).toEqual(["step", "wall_time", "zeta", "alpha", "mid"]);
  });

  it("a step written again at another wall time moves the value: the old row goes if it held nothing else", async () => {
    const points = [p("a", 1, 10, 1), p("b", 1, 10, 2), p("a", 2, 20, 3), p("a", 2, 25, 4), p("a", 1, 30, 5)];
    const rows = await timeSeriesDataFrame(stream(toChunks(points, 2)));
    expect(rows).toEqual([
      { step: 1, wall_time: new Date(10), b: 2 },
      { step: 1, wall_time: new Date(30), a: 5 },
      { step: 2, wall_time: new Date(25), a: 4 },
    ]);
  });

  it("equals the reference on messy data (repeats, out of order, interleaved chunks), few and many metrics", async () => {
    for (const [seed, metricCount] of [
      [1, 3],
      [2, 20],
      [3, 90], // more than 64 metrics: the heap merge
    ] as const) {
      const rnd = random(seed);
      const points: SeriesPoint[] = [];
      for (let i = 0; i < 5_000; i++) {
        const step = Math.floor(rnd() * 400);
        points.push(p(`m${Math.floor(rnd() * metricCount)}`, step, step * 10 + Math.floor(rnd() * 2), rnd()));
      }
      const rows = await timeSeriesDataFrame(stream(toChunks(points, 3)));
      expect(rows).toEqual(reference(points));
      const firstSeen = [...new Set(points.map((q) => q.metric))];
      expect(Object.keys(rows[0]!)).toEqual(["step", "wall_time", ...firstSeen]);
      expect(buildTimeSeriesDataFrame(points)).toEqual(rows);
    }
  });

  it("NaN values and an empty stream", async () => {
    const rows = await timeSeriesDataFrame(stream(toChunks([p("x", 0, 0, Number.NaN)], 1)));
    expect(rows[0]!.x).toBeNaN();
    expect(await timeSeriesDataFrame(stream([]))).toEqual([]);
  });
});
