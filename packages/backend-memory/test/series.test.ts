import v8 from "node:v8";
import vm from "node:vm";
import {
  type Backend,
  Experiment,
  ExperimentRun,
  latestSeriesPoints,
  NotFoundError,
  type SeriesChunk,
  type SeriesPoint,
  ValidationError,
} from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createMemoryBackend } from "../src/index.js";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function pointsOf(chunks: readonly SeriesChunk[]): SeriesPoint[] {
  return chunks.flatMap((c) =>
    [...c.steps].map((step, i) => ({
      metric: c.metric,
      step,
      wallTime: c.wallTimes[i]!,
      value: c.values[i]!,
    })),
  );
}

async function runWith(backend: Backend, name = "r") {
  return ExperimentRun.create(name, { experiment: "series-exp", backend });
}

describe("memory backend: readSeries streams slices", () => {
  it("every point exactly once across chunk boundaries; first chunk per metric in creation order", async () => {
    const backend = createMemoryBackend({ seriesChunkPoints: 7 });
    const run = await runWith(backend);
    const written: SeriesPoint[] = [];
    for (let step = 0; step < 100; step++) {
      const values: Record<string, number> = { zeta: step };
      if (step >= 10) values.alpha = -step;
      if (step % 3 === 0) values.mid = step * 2;
      await backend.appendTimeSeries(run.ref, [{ step, wallTime: 1000 + step, values }]);
      for (const [metric, value] of Object.entries(values))
        written.push({ metric, step, wallTime: 1000 + step, value });
    }
    const chunks = await collect(backend.readSeries(run.ref));
    expect(chunks.every((c) => c.steps.length > 0 && c.steps.length <= 7)).toBe(true);
    const firstChunks = [...new Set(chunks.map((c) => c.metric))];
    expect(firstChunks).toEqual(["zeta", "mid", "alpha"]); // mid was created (step 0) before alpha (step 10)
    const byKey = (a: SeriesPoint, b: SeriesPoint) =>
      a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : a.step - b.step;
    expect(pointsOf(chunks).sort(byKey)).toEqual([...written].sort(byKey));
  });

  it("points of one (metric, step) come in write order", async () => {
    const backend = createMemoryBackend({ seriesChunkPoints: 2 });
    const run = await runWith(backend);
    for (const value of [1, 2, 3, 4, 5])
      await backend.appendTimeSeries(run.ref, [{ step: 3, wallTime: value, values: { x: value } }]);
    expect(pointsOf(await collect(backend.readSeries(run.ref))).map((p) => p.value)).toEqual([1, 2, 3, 4, 5]);
  });

  it("pushes metrics and steps down, for steps in order and out of order", async () => {
    const backend = createMemoryBackend({ seriesChunkPoints: 5 });
    const run = await runWith(backend);
    for (let step = 0; step < 50; step++)
      await backend.appendTimeSeries(run.ref, [{ step, wallTime: step, values: { up: step, other: 1 } }]);
    for (const step of [40, 3, 17, 3, 45, 20])
      await backend.appendTimeSeries(run.ref, [{ step, wallTime: step, values: { shuffled: step } }]);
    const up = pointsOf(
      await collect(backend.readSeries(run.ref, { metrics: ["up"], steps: { from: 10, to: 14 } })),
    );
    expect(up.map((p) => [p.metric, p.step])).toEqual([10, 11, 12, 13, 14].map((s) => ["up", s]));
    const shuffled = pointsOf(
      await collect(backend.readSeries(run.ref, { metrics: ["shuffled"], steps: { from: 3, to: 20 } })),
    );
    expect(shuffled.map((p) => p.step)).toEqual([3, 17, 3, 20]);
  });

  it("a missing run rejects the first next() with NotFoundError", async () => {
    const backend = createMemoryBackend();
    await backend.createExperiment({ name: "series-exp" });
    const iterator = backend.readSeries({ experiment: "series-exp", run: "nope" })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow(NotFoundError);
  });

  it("latestTimeSeries: largest step, ties to the last written", async () => {
    const backend = createMemoryBackend();
    const run = await runWith(backend);
    await backend.appendTimeSeries(run.ref, [{ step: 5, wallTime: 1, values: { a: 1 } }]);
    await backend.appendTimeSeries(run.ref, [{ step: 2, wallTime: 2, values: { a: 2 } }]);
    await backend.appendTimeSeries(run.ref, [{ step: 5, wallTime: 3, values: { a: 3 } }]);
    expect(await backend.latestTimeSeries!(run.ref)).toEqual({
      a: { metric: "a", step: 5, wallTime: 3, value: 3 },
    });
  });

  it("the stream is lazy: after the first chunk of 2 M points only about one chunk was copied", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const backend = createMemoryBackend();
    const run = await runWith(backend);
    const writes = [];
    for (let step = 0; step < 2_000_000; step++) writes.push({ step, wallTime: step, values: { x: step } });
    await backend.appendTimeSeries(run.ref, writes);
    writes.length = 0;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const iterator = backend.readSeries(run.ref)[Symbol.asyncIterator]();
    const first = await iterator.next();
    gc();
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(first.value?.steps.length).toBe(65_536);
    expect(grown).toBeLessThan(4 << 20); // one chunk is 1.5 MiB; the whole series would be 48 MiB
    await iterator.return?.();
  }, 120_000); // 2 M checked writes take seconds on a loaded machine
});

describe("run.readTimeSeries, run.getTimeSeries, run.getTimeSeriesDataFrame on the memory store", () => {
  it("readTimeSeries streams the run's points; the query is checked before any I/O", async () => {
    const backend = createMemoryBackend({ seriesChunkPoints: 3 });
    const run = await runWith(backend);
    for (let step = 1; step <= 10; step++)
      await run.logTimeSeriesMetrics({ loss: 1 / step, acc: step }, { step });
    const chunks = await collect(run.readTimeSeries({ metrics: ["acc"], steps: { from: 4, to: 8 } }));
    expect(pointsOf(chunks).map((p) => [p.metric, p.step])).toEqual([4, 5, 6, 7, 8].map((s) => ["acc", s]));
    let reads = 0;
    const counting: Backend = {
      ...backend,
      readSeries(ref, query) {
        reads++;
        return backend.readSeries(ref, query);
      },
    };
    const same = await ExperimentRun.get(run.name, { experiment: run.experiment, backend: counting });
    await expect(collect(same.readTimeSeries({ steps: { from: 9, to: 1 } }))).rejects.toThrow(
      ValidationError,
    );
    await expect(collect(same.readTimeSeries({ metrics: "loss" as never }))).rejects.toThrow(
      /array of metric names/,
    );
    expect(reads).toBe(0);
  });

  it("readTimeSeries with a metric the run does not have ends with a ValidationError listing its metrics", async () => {
    const backend = createMemoryBackend();
    const run = await runWith(backend);
    await run.logTimeSeriesMetrics({ loss: 1 }, { step: 1 });
    const error = await collect(run.readTimeSeries({ metrics: ["los"] })).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('Unknown metric "los": the run\'s metrics are "loss"');
    // a known metric with no point in the range is not an error
    expect(await collect(run.readTimeSeries({ metrics: ["loss"], steps: { from: 5 } }))).toEqual([]);
  });

  it("getTimeSeries keeps a one-step spike among 1,000,000 logged points", async () => {
    const backend = createMemoryBackend();
    const run = await runWith(backend);
    const writes = [];
    for (let step = 1; step <= 1_000_000; step++)
      writes.push({ step, wallTime: 1e12 + step, values: { loss: step === 424_242 ? 50 : 1 / step } });
    await backend.appendTimeSeries(run.ref, writes);
    const result = await run.getTimeSeries({ buckets: 500 });
    const [loss] = result.series;
    expect(loss!.count).toBe(1_000_000);
    expect(loss!.first?.step).toBe(1);
    expect(loss!.last?.step).toBe(1_000_000);
    const i = loss!.buckets.max.values.indexOf(50);
    expect(loss!.buckets.max.steps[i]).toBe(424_242);
  });

  it("getTimeSeries: same-step last write wins, metrics in creation order, unknown metrics refused", async () => {
    const backend = createMemoryBackend();
    const run = await runWith(backend);
    await run.logTimeSeriesMetrics({ b: 1, a: 1 }, { step: 1 });
    await run.logTimeSeriesMetrics({ b: 100 }, { step: 2 });
    await run.logTimeSeriesMetrics({ b: 2 }, { step: 2 });
    const result = await run.getTimeSeries();
    expect(result.series.map((s) => s.metric)).toEqual(["b", "a"]);
    expect(Math.max(...result.series[0]!.buckets.max.values)).toBe(2);
    expect(result.series[0]!.count).toBe(2);
    await expect(run.getTimeSeries({ metrics: ["c"] })).rejects.toThrow(/Unknown metric "c".*"b", "a"/);
    await expect(run.getTimeSeries({ buckets: 0 })).rejects.toThrow(ValidationError);
  });

  it("getTimeSeriesDataFrame: Python's column order is series creation order, not alphabetical", async () => {
    const backend = createMemoryBackend();
    const run = await runWith(backend);
    await run.logTimeSeriesMetrics({ zeta: 1 }, { step: 10, wallTime: 5 });
    await run.logTimeSeriesMetrics({ beta: 2, alpha: 3 }, { step: 1, wallTime: 6 });
    const rows = await run.getTimeSeriesDataFrame();
    expect(rows.map((r) => Object.keys(r))).toEqual([
      ["step", "wall_time", "zeta", "beta", "alpha"],
      ["step", "wall_time", "zeta", "beta", "alpha"],
    ]);
    expect(rows).toEqual([
      { step: 1, wall_time: new Date(6), beta: 2, alpha: 3 },
      { step: 10, wall_time: new Date(5), zeta: 1 },
    ]);
  });
});

describe("a store without latestTimeSeries, whose listRuns omits it: core derives both", () => {
  function minimal(): Backend {
    const inner = createMemoryBackend();
    const { latestTimeSeries: _unused, ...rest } = inner;
    return {
      ...rest,
      async listRuns(experiment, page) {
        const result = await inner.listRuns(experiment, page);
        return { ...result, items: result.items.map(({ latestTimeSeries: _l, ...r }) => r) };
      },
    };
  }

  it("the experiment DataFrame has each series' latest value, and implicit steps continue", async () => {
    const backend = minimal();
    const run = await runWith(backend, "derived");
    await run.logTimeSeriesMetrics({ loss: 0.9 }, { step: 4 });
    await run.logTimeSeriesMetrics({ loss: 0.1 }, { step: 7 });
    await run.logTimeSeriesMetrics({ loss: 0.5 }, { step: 2 });
    const [row] = await (await Experiment.get("series-exp", { backend })).getDataFrame();
    expect(row!["time_series_metric.loss"]).toBe(0.1);
    const again = await ExperimentRun.get("derived", { experiment: "series-exp", backend });
    await again.logTimeSeriesMetrics({ loss: 0 });
    expect((await again.getTimeSeriesDataFrame()).map((r) => r.step)).toEqual([2, 4, 7, 8]);
    expect((await latestSeriesPoints(backend, again.ref)).loss?.step).toBe(8);
  });
});
