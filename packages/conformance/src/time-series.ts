import { ExperimentRun } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function timeSeriesTests(ctx: SuiteContext): void {
  ctx.it("an explicit step is used as given and rows are sorted by step", async () => {
    const run = await ctx.run();
    const t = Date.UTC(2024, 0, 1);
    await run.logTimeSeriesMetrics({ loss: 0.5 }, { step: 5, wallTime: t });
    await run.logTimeSeriesMetrics({ loss: 0.7 }, { step: 3, wallTime: t + 1 });
    await run.logTimeSeriesMetrics({ loss: 0.2 }, { step: 10, wallTime: t + 2 });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows.map((r) => r.step)).toEqual([3, 5, 10]);
    expect(rows.map((r) => r.loss)).toEqual([0.7, 0.5, 0.2]);
  });

  ctx.it("step 0 is a step, not a missing one", async () => {
    const run = await ctx.run();
    await run.logTimeSeriesMetrics({ loss: 1 }, { step: 0 });
    await run.logTimeSeriesMetrics({ loss: 0.9 });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows.map((r) => [r.step, r.loss])).toEqual([
      [0, 1],
      [1, 0.9],
    ]);
  });

  ctx.it("a missing step is 1 on a new run, then the largest step so far + 1", async () => {
    const run = await ctx.run();
    await run.logTimeSeriesMetrics({ a: 1 });
    await run.logTimeSeriesMetrics({ a: 2 });
    await run.logTimeSeriesMetrics({ a: 3 }, { step: 10 });
    await run.logTimeSeriesMetrics({ a: 4 });
    expect((await run.getTimeSeriesDataFrame()).map((r) => r.step)).toEqual([1, 2, 10, 11]);
  });

  ctx.it("a missing step continues from what the store holds, for a run opened again", async () => {
    const run = await ctx.run();
    await run.logTimeSeriesMetrics({ a: 1 }, { step: 7 });
    await run.flush();
    const again = await ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend });
    await again.logTimeSeriesMetrics({ a: 2 });
    expect((await again.getTimeSeriesDataFrame()).map((r) => r.step)).toEqual([7, 8]);
  });

  ctx.it("a run obtained from ExperimentRun.list logs time series like the one that created it", async () => {
    const exp = await ctx.experiment();
    await ctx.run(exp, "listed");
    const [listed] = await ExperimentRun.list({ experiment: exp.name, backend: ctx.backend });
    await listed!.logTimeSeriesMetrics({ loss: 0.5 }, { step: 1, wallTime: 7 });
    expect(await listed!.getTimeSeriesDataFrame()).toEqual([{ step: 1, wall_time: new Date(7), loss: 0.5 }]);
  });

  ctx.it("metrics logged in one call share a row with step and wall_time", async () => {
    const run = await ctx.run();
    const wallTime = new Date(Date.UTC(2024, 5, 1, 12, 0, 0, 123));
    await run.logTimeSeriesMetrics({ loss: 0.25, acc: 0.75 }, { step: 1, wallTime });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({ step: 1, wall_time: wallTime, loss: 0.25, acc: 0.75 });
    expect(rows[0]!.wall_time).toBeInstanceOf(Date);
  });

  ctx.it("the default wall time is now, UTC, in milliseconds", async () => {
    const run = await ctx.run();
    const before = Date.now();
    await run.logTimeSeriesMetrics({ x: 1 });
    const after = Date.now();
    const [row] = await run.getTimeSeriesDataFrame();
    const ms = row!.wall_time.getTime();
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    expect(Number.isInteger(ms)).toBe(true);
  });

  ctx.it("a (metric, step) logged again keeps the last value", async () => {
    const run = await ctx.run();
    await run.logTimeSeriesMetrics({ loss: 1 }, { step: 2, wallTime: 1000 });
    await run.logTimeSeriesMetrics({ loss: 2 }, { step: 2, wallTime: 1000 });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows).toEqual([{ step: 2, wall_time: new Date(1000), loss: 2 }]);
  });

  ctx.it("NaN and ±Infinity round-trip in time series", async () => {
    const run = await ctx.run();
    await run.logTimeSeriesMetrics(
      { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY },
      { step: 1, wallTime: 5 },
    );
    const [row] = await run.getTimeSeriesDataFrame();
    expect(row!.nan).toBeNaN();
    expect(row!.inf).toBe(Number.POSITIVE_INFINITY);
    expect(row!.ninf).toBe(Number.NEGATIVE_INFINITY);
  });

  ctx.it("a run with no time series has an empty DataFrame", async () => {
    const run = await ctx.run();
    expect(await run.getTimeSeriesDataFrame()).toEqual([]);
  });

  ctx.it("the experiment DataFrame holds each series' latest value", async () => {
    const exp = await ctx.experiment();
    const run = await ctx.run(exp);
    await run.logTimeSeriesMetrics({ loss: 0.9 }, { step: 1 });
    await run.logTimeSeriesMetrics({ loss: 0.1 }, { step: 3 });
    await run.logTimeSeriesMetrics({ loss: 0.5 }, { step: 2 });
    await run.flush();
    const [row] = await exp.getDataFrame();
    expect(row!["time_series_metric.loss"]).toBe(0.1);
    const [withoutSeries] = await exp.getDataFrame({ includeTimeSeries: false });
    expect(withoutSeries).not.toHaveProperty("time_series_metric.loss");
  });

  ctx.it("time series without a TensorBoard are refused exactly where the backend needs one", async () => {
    const run = await ctx.run(undefined, undefined, { tensorboard: undefined });
    if (ctx.backend.capabilities.requiresTensorboard && !run.tensorboardRun) {
      await expectCode(run.logTimeSeriesMetrics({ x: 1 }), "VALIDATION", /TensorBoard/);
    } else {
      await run.logTimeSeriesMetrics({ x: 1 }, { step: 1 });
      expect(await run.getTimeSeriesDataFrame()).toHaveLength(1);
    }
  });

  ctx.it(
    "100,000 points of 2 metrics read back complete and in step order",
    async () => {
      const run = await ctx.run();
      const n = 100_000;
      const t0 = Date.UTC(2024, 0, 1);
      for (let step = 1; step <= n; step++) {
        await run.logTimeSeriesMetrics({ loss: 1 / step, acc: step % 2 }, { step, wallTime: t0 + step });
      }
      await run.endRun();
      const rows = await run.getTimeSeriesDataFrame();
      expect(rows).toHaveLength(n);
      let ordered = true;
      for (let i = 0; i < n; i++) {
        const row = rows[i]!;
        if (row.step !== i + 1 || row.loss !== 1 / (i + 1) || row.acc !== (i + 1) % 2) ordered = false;
      }
      expect(ordered).toBe(true);
      expect(rows[n - 1]!.wall_time.getTime()).toBe(t0 + n);
    },
    ctx.heavyTimeout,
  );
}
