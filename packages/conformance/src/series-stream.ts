import type { DownsampledMetric, SeriesPoint, TimeSeriesWrite } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";
import {
  appendAll,
  chunksOf,
  expectSamePoints,
  metricOrder,
  pointsOf,
  pointsOfWrites,
  readPoints,
  stepWrites,
} from "./points.js";

const T0 = Date.UTC(2024, 0, 1);

/** Extremes of the buckets' min and max columns of one metric. */
function envelope(series: DownsampledMetric): { min: number; max: number; minStep: number; maxStep: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let minStep = -1;
  let maxStep = -1;
  const b = series.buckets;
  for (let i = 0; i < b.length; i++) {
    if (b.min.values[i]! < min) [min, minStep] = [b.min.values[i]!, b.min.steps[i]!];
    if (b.max.values[i]! > max) [max, maxStep] = [b.max.values[i]!, b.max.steps[i]!];
  }
  return { min, max, minStep, maxStep };
}

const sum = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0);

export function seriesStreamTests(ctx: SuiteContext): void {
  ctx.it(
    "readSeries delivers every stored point exactly once, complete and unsampled",
    async () => {
      const { ref } = await ctx.createRun();
      const dense = stepWrites(["dense"], 0, 12_000, (_m, s) => Math.sin(s / 100));
      const sparse = stepWrites(["sparse"], 0, 3000, (_m, s) => s * 2).map((w) => ({
        ...w,
        step: w.step * 7,
      }));
      const special: TimeSeriesWrite[] = [
        { step: 2 ** 40, wallTime: T0, values: { special: Number.NaN } },
        { step: Number.MAX_SAFE_INTEGER, wallTime: T0 + 1, values: { special: Number.POSITIVE_INFINITY } },
        { step: 3, wallTime: -86_400_000, values: { special: Number.NEGATIVE_INFINITY } },
        { step: 4, wallTime: T0 + 3, values: { special: 5e-324 } },
        { step: 5, wallTime: T0 + 4, values: { special: -1.7976931348623157e308 } },
      ];
      // Interleaved as a training loop writes them: several metrics per call, calls of different sizes.
      const writes: TimeSeriesWrite[] = [];
      for (let i = 0; i < dense.length; i++) {
        writes.push(dense[i]!);
        if (i % 4 === 0 && sparse[i / 4]) writes.push(sparse[i / 4]!);
        if (i % 2000 === 0 && special[i / 2000]) writes.push(special[i / 2000]!);
      }
      await appendAll(ctx.backend, ref, writes, 333);
      await ctx.backend.flush();
      const points = await readPoints(ctx.backend, ref);
      expectSamePoints(points, pointsOfWrites(writes));
      const counts = Object.fromEntries(
        ["dense", "sparse", "special"].map((m) => [m, points.filter((p) => p.metric === m).length]),
      );
      expect(counts).toEqual({ dense: 12_000, sparse: 3000, special: 5 });
    },
    ctx.heavyTimeout,
  );

  ctx.it(
    "points of one (metric, step) come in write order, ending with the last write, and every read keeps the last",
    async () => {
      const backend = ctx.backend;
      const { ref } = await ctx.createRun(backend);
      await backend.appendTimeSeries(ref, [{ step: 7, wallTime: T0 + 300, values: { m: 1 } }]);
      await backend.appendTimeSeries(ref, [{ step: 7, wallTime: T0 + 100, values: { m: 2 } }]);
      await backend.flush();
      await backend.appendTimeSeries(ref, [
        { step: 7, wallTime: T0 + 200, values: { m: 3 } },
        { step: 8, wallTime: T0 + 400, values: { m: 10 } },
        { step: 8, wallTime: T0 + 400, values: { m: 11 } },
        { step: 6, wallTime: T0 + 50, values: { m: 0 } },
      ]);
      const points = await readPoints(backend, ref);
      // A store may drop a superseded point, but what it keeps of a step comes in write order.
      const at = (step: number) => points.filter((p) => p.step === step).map((p) => p.value);
      expect([[1, 2, 3], [2, 3], [3]]).toContainEqual(at(7));
      expect([[10, 11], [11]]).toContainEqual(at(8));
      expect(at(6)).toEqual([0]);
      // Core's reads keep each step's last write, whatever the wall times say.
      expect(await backend.latestTimeSeries(ref)).toEqual({
        m: { metric: "m", step: 8, wallTime: T0 + 400, value: 11 },
      });
      const run = await ctx.reopen(ref);
      const rows = await run.getTimeSeriesDataFrame();
      expect(rows.map((r) => [r.step, r.m])).toEqual([
        [6, 0],
        [7, 3],
        [8, 11],
      ]);
      const [series] = (await run.getTimeSeries({ buckets: 10 })).series;
      expect(series).toMatchObject({
        metric: "m",
        count: 3,
        first: { step: 6, value: 0 },
        last: { step: 8, value: 11 },
      });
      expect(envelope(series!)).toMatchObject({ min: 0, max: 11 });
    },
  );

  ctx.it(
    "the first chunk of each metric comes in series creation order, and the DataFrame's columns follow it",
    async () => {
      const backend = ctx.backend;
      const { ref } = await ctx.createRun(backend);
      const order = [
        "zeta",
        "alpha",
        "m10",
        "m2",
        "beta",
        "loss/train",
        "Acc",
        "_x",
        "omega",
        "b",
        "a",
        "delta",
      ];
      // Each metric first appears at a step, and a call, that a sort by name or by step would not give.
      await backend.appendTimeSeries(ref, [{ step: 50, wallTime: T0, values: { zeta: 1 } }]);
      await backend.appendTimeSeries(ref, [
        { step: 1, wallTime: T0, values: { alpha: 1, m10: 1 } },
        { step: 60, wallTime: T0, values: { zeta: 2, m2: 1, beta: 1 } },
      ]);
      await backend.flush();
      await backend.appendTimeSeries(ref, [
        { step: 0, wallTime: T0, values: { "loss/train": 1, Acc: 1, _x: 1 } },
      ]);
      await backend.appendTimeSeries(ref, [
        { step: 99, wallTime: T0, values: { omega: 1 } },
        { step: 2, wallTime: T0, values: { b: 1, a: 1, alpha: 2 } },
        { step: 3, wallTime: T0, values: { delta: 1, zeta: 3 } },
      ]);
      const chunks = await chunksOf(backend.readSeries(ref));
      expect(metricOrder(chunks)).toEqual(order);
      expect(Object.keys(await backend.latestTimeSeries(ref))).toEqual(order);
      const run = await ctx.reopen(ref);
      const rows = await run.getTimeSeriesDataFrame();
      for (const row of rows) expect(Object.keys(row)).toEqual(["step", "wall_time", ...order]);
      expect((await run.getTimeSeries()).series.map((s) => s.metric)).toEqual(order);
      // A second read, from a run object opened afresh, has the same order.
      const again = await chunksOf((await ctx.reopen(ref)).readTimeSeries());
      expect(metricOrder(again)).toEqual(order);
    },
  );

  ctx.it("readTimeSeries with a step range yields exactly the points in it, bounds included", async () => {
    const run = await ctx.run();
    const writes = stepWrites(["a", "b"], 0, 1000).filter((w) => w.step % 3 !== 1);
    await appendAll(ctx.backend, run.ref, writes, 100);
    const all = pointsOfWrites(writes);
    for (const steps of [
      { from: 100, to: 200 },
      { from: 999 },
      { to: 0 },
      { from: 301, to: 301 },
      { from: 300, to: 300 },
      { from: 5000 },
    ]) {
      const read = pointsOf(await chunksOf(run.readTimeSeries({ steps })));
      const from = steps.from ?? 0;
      const to = steps.to ?? Number.POSITIVE_INFINITY;
      expectSamePoints(
        read,
        all.filter((p) => p.step >= from && p.step <= to),
        `steps ${JSON.stringify(steps)}`,
      );
    }
    await expectCode(chunksOf(run.readTimeSeries({ steps: { from: 9, to: 3 } })), "VALIDATION", /greater/);
  });

  ctx.it(
    "readTimeSeries with metrics yields only those; [] yields none; an unknown metric is a ValidationError",
    async () => {
      const run = await ctx.run();
      const writes = stepWrites(["loss", "acc", "lr"], 1, 50);
      await appendAll(ctx.backend, run.ref, writes, 10);
      const all = pointsOfWrites(writes);
      const only = pointsOf(await chunksOf(run.readTimeSeries({ metrics: ["lr", "loss"] })));
      expectSamePoints(
        only,
        all.filter((p) => p.metric !== "acc"),
      );
      expect(pointsOf(await chunksOf(run.readTimeSeries({ metrics: [] })))).toEqual([]);
      await expectCode(chunksOf(run.readTimeSeries({ metrics: ["loss", "nope"] })), "VALIDATION", /nope/);
    },
  );

  ctx.it(
    "getTimeSeries keeps a one-step spike and a one-step dip among 50,000 points, with the exact count, first and last",
    async () => {
      const run = await ctx.run();
      const n = 50_000;
      const spikeAt = 31_337;
      const dipAt = 4_242;
      const writes = stepWrites(["loss", "acc"], 1, n, (m, s) =>
        m === "acc" ? s / n : s === spikeAt ? 1e6 : s === dipAt ? -1e6 : 1 + Math.sin(s / 500),
      );
      await appendAll(ctx.backend, run.ref, writes, 2000);
      await run.flush();
      for (const buckets of [1, 37, 1000]) {
        const result = await run.getTimeSeries({ metrics: ["loss"], buckets });
        const [loss] = result.series;
        expect(loss).toMatchObject({
          metric: "loss",
          count: n,
          first: { step: 1, wallTime: 1_700_000_000_001 },
          last: { step: n, wallTime: 1_700_000_000_000 + n },
        });
        expect(loss!.buckets.length).toBeLessThanOrEqual(buckets);
        expect(sum(loss!.buckets.count)).toBe(n);
        expect(envelope(loss!)).toEqual({ min: -1e6, max: 1e6, minStep: dipAt, maxStep: spikeAt });
      }
      const byTime = await run.getTimeSeries({ x: "wallTime", buckets: 64 });
      const loss = byTime.series.find((s) => s.metric === "loss")!;
      expect(envelope(loss)).toMatchObject({ min: -1e6, max: 1e6 });
      expect(byTime.series.map((s) => [s.metric, s.count])).toEqual([
        ["loss", n],
        ["acc", n],
      ]);
    },
    ctx.heavyTimeout,
  );

  ctx.it(
    "getTimeSeries over a range counts and bounds exactly the points in it, on steps and on wall times",
    async () => {
      const run = await ctx.run();
      const writes = stepWrites(["v"], 0, 2000, (_m, s) => (s === 1500 ? 99 : s % 10));
      await appendAll(ctx.backend, run.ref, writes, 500);
      const [bySteps] = (await run.getTimeSeries({ range: { from: 1000, to: 1999 }, buckets: 7 })).series;
      expect(bySteps).toMatchObject({ count: 1000, first: { step: 1000 }, last: { step: 1999 } });
      expect(envelope(bySteps!)).toMatchObject({ max: 99, maxStep: 1500, min: 0 });
      const from = new Date(1_700_000_000_000 + 10);
      const to = new Date(1_700_000_000_000 + 19);
      const [byTime] = (await run.getTimeSeries({ x: "wallTime", range: { from, to }, buckets: 3 })).series;
      expect(byTime).toMatchObject({ count: 10, first: { step: 10 }, last: { step: 19 } });
      const [empty] = (await run.getTimeSeries({ metrics: ["v"], range: { from: 5000 } })).series;
      expect(empty).toMatchObject({ metric: "v", count: 0, first: undefined, last: undefined });
    },
  );

  ctx.it(
    "getTimeSeries lists every metric, in creation order, with count 0 where its points are outside the range",
    async () => {
      // Guards against: a step range dropping a metric that has no points in it (a wall-time range kept
      // it), or a named metric moved to the end because it had none.
      const run = await ctx.run();
      await ctx.backend.appendTimeSeries(run.ref, [
        { step: 1, wallTime: T0 + 1, values: { early: 1, late: 1 } },
        { step: 50, wallTime: T0 + 50, values: { late: 5 } },
        { step: 90, wallTime: T0 + 90, values: { tail: 9 } },
      ]);
      await ctx.backend.flush();
      const shape = (r: { series: DownsampledMetric[] }) => r.series.map((m) => [m.metric, m.count]);
      const expected = [
        ["early", 0],
        ["late", 1],
        ["tail", 0],
      ];
      expect(shape(await run.getTimeSeries({ range: { from: 40, to: 60 } }))).toEqual(expected);
      expect(
        shape(await run.getTimeSeries({ range: { from: 40, to: 60 }, metrics: ["tail", "late", "early"] })),
      ).toEqual(expected);
      expect(
        shape(await run.getTimeSeries({ x: "wallTime", range: { from: T0 + 40, to: T0 + 60 } })),
      ).toEqual(expected);
    },
  );

  ctx.it(
    "a chunk's arrays stay as delivered: later chunks and reads never change them, and changing them changes nothing stored",
    async () => {
      const backend = ctx.backend;
      const { ref } = await ctx.createRun(backend);
      const writes = stepWrites(["a", "b"], 0, 20_000);
      await appendAll(backend, ref, writes, 2000);
      await backend.flush();
      const kept = await chunksOf(backend.readSeries(ref));
      await readPoints(backend, ref); // a second read while the first one's chunks are held
      const snapshot: SeriesPoint[] = pointsOf(kept);
      expectSamePoints(snapshot, pointsOfWrites(writes), "chunks kept across reads");
      for (const chunk of kept) {
        chunk.values.fill(-1);
        chunk.steps.fill(0);
      }
      expectSamePoints(
        await readPoints(backend, ref),
        pointsOfWrites(writes),
        "a read after the kept chunks were changed",
      );
    },
  );

  ctx.it("the series of one run hold none of a sibling's points", async () => {
    const exp = await ctx.experiment();
    const a = await ctx.run(exp, "a-run");
    const b = await ctx.run(exp, "b-run");
    await appendAll(
      ctx.backend,
      a.ref,
      stepWrites(["loss"], 0, 30, () => 1),
    );
    await appendAll(
      ctx.backend,
      b.ref,
      stepWrites(["loss"], 0, 20, () => 2),
    );
    expectSamePoints(
      await readPoints(ctx.backend, a.ref),
      pointsOfWrites(stepWrites(["loss"], 0, 30, () => 1)),
    );
    expectSamePoints(
      await readPoints(ctx.backend, b.ref),
      pointsOfWrites(stepWrites(["loss"], 0, 20, () => 2)),
    );
  });
}
