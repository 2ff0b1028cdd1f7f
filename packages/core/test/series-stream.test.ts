import { describe, expect, it } from "vitest";
import {
  type Backend,
  BackendError,
  chunksFromPoints,
  collectSeriesPoints,
  corruptSeriesError,
  filterSeries,
  isExprunError,
  latestOfSeries,
  latestSeriesPoints,
  readSeriesPoints,
  type SeriesChunk,
  SeriesChunkBuilder,
  type SeriesPoint,
  ValidationError,
  validateSeriesQuery,
} from "../src/index.js";
import { collect, random, readerOf, toChunks } from "./helpers/series.js";

const p = (metric: string, step: number, wallTime: number, value: number): SeriesPoint => ({
  metric,
  step,
  wallTime,
  value,
});

async function* stream(chunks: SeriesChunk[]): AsyncGenerator<SeriesChunk> {
  yield* chunks;
}

describe("chunksFromPoints", () => {
  it("groups points per metric in order of first appearance, keeping each metric's write order", () => {
    const points = [p("b", 2, 1, 1), p("a", 1, 2, 2), p("b", 1, 3, 3), p("b", 2, 4, 4), p("a", 1, 5, 5)];
    const chunks = chunksFromPoints(points);
    expect(chunks.map((c) => [c.metric, [...c.steps], [...c.values]])).toEqual([
      ["b", [2, 1, 2], [1, 3, 4]],
      ["a", [1, 1], [2, 5]],
    ]);
  });

  it("splits a metric into chunks of the size asked; every point exactly once", () => {
    const rnd = random(7);
    const points = Array.from({ length: 1000 }, (_, i) => p(rnd() < 0.5 ? "x" : "y", i, i, rnd()));
    const chunks = chunksFromPoints(points, 33);
    expect(chunks.every((c) => c.steps.length <= 33 && c.steps.length > 0)).toBe(true);
    const back = chunks.flatMap((c) =>
      [...c.steps].map((step, i) => p(c.metric, step, c.wallTimes[i]!, c.values[i]!)),
    );
    const byMetric = (m: string) => points.filter((q) => q.metric === m);
    expect(back).toEqual([
      ...byMetric(points[0]!.metric),
      ...byMetric(points[0]!.metric === "x" ? "y" : "x"),
    ]);
  });
});

describe("SeriesChunkBuilder", () => {
  it("grows past its capacity and hands out trimmed arrays", () => {
    const builder = new SeriesChunkBuilder("m", 2);
    for (let i = 0; i < 5; i++) builder.push(i, i * 10, i / 2);
    expect(builder.length).toBe(5);
    const chunk = builder.take();
    expect([...chunk.steps]).toEqual([0, 1, 2, 3, 4]);
    expect([...chunk.wallTimes]).toEqual([0, 10, 20, 30, 40]);
    expect(chunk.values.length).toBe(5);
    expect(builder.length).toBe(0);
  });
});

describe("filterSeries (core filters again: a store MAY ignore the query)", () => {
  const chunks = toChunks(
    Array.from({ length: 20 }, (_, i) => p(i < 10 ? "a" : "b", i % 10, i, i)),
    4,
  );

  it("drops other metrics and points outside the inclusive step range", async () => {
    const out = await collectSeriesPoints(
      filterSeries(stream(chunks), { metrics: ["b"], steps: { from: 2, to: 5 } }),
    );
    expect(out.map((q) => [q.metric, q.step])).toEqual([
      ["b", 2],
      ["b", 3],
      ["b", 4],
      ["b", 5],
    ]);
  });

  it("hands on a chunk that passes whole as the same object, and drops empty chunks", async () => {
    const empty = {
      metric: "a",
      steps: new Float64Array(0),
      wallTimes: new Float64Array(0),
      values: new Float64Array(0),
    };
    const out = await collect(filterSeries(stream([empty, ...chunks]), { steps: { from: 0 } }));
    expect(out).toEqual(chunks);
    expect(out[0]).toBe(chunks[0]);
  });

  it("metrics: [] means none", async () => {
    expect(await collect(filterSeries(stream(chunks), { metrics: [] }))).toEqual([]);
  });
});

describe("latest point of each metric, from a stream", () => {
  it("is the largest step, ties to the last written, keys in creation order", async () => {
    const chunks = toChunks(
      [p("z", 5, 1, 1), p("a", 1, 2, 1), p("z", 3, 3, 2), p("z", 5, 4, 3), p("a", 0, 5, 9)],
      1,
    );
    const latest = await latestOfSeries(stream(chunks));
    expect(Object.keys(latest)).toEqual(["z", "a"]);
    expect(latest.z).toEqual(p("z", 5, 4, 3));
    expect(latest.a).toEqual(p("a", 1, 2, 1));
  });

  it("latestSeriesPoints uses the store's own latestTimeSeries when it has one, else the stream", async () => {
    const chunks = toChunks([p("m", 1, 1, 1), p("m", 2, 2, 2)], 10);
    const { read, calls } = readerOf(chunks);
    const derived = await latestSeriesPoints({ readSeries: read }, { experiment: "e", run: "r" });
    expect(derived.m?.step).toBe(2);
    expect(calls()).toBe(1);
    const own = await latestSeriesPoints(
      { readSeries: read, latestTimeSeries: async () => ({ m: p("m", 9, 9, 9) }) },
      { experiment: "e", run: "r" },
    );
    expect(own.m?.step).toBe(9);
    expect(calls()).toBe(1);
  });
});

describe("readSeriesPoints", () => {
  it("validates the query, asks the store with it, and filters what a store that ignores it returns", async () => {
    const seen: unknown[] = [];
    const backend: Pick<Backend, "readSeries" | "name"> = {
      name: "test",
      readSeries(_ref, query) {
        seen.push(query);
        return stream(toChunks([p("a", 1, 1, 1), p("b", 1, 1, 2), p("a", 2, 2, 3)], 10));
      },
    };
    const points = await readSeriesPoints(
      backend,
      { experiment: "e", run: "r" },
      { metrics: ["a"], steps: { to: 1 } },
    );
    expect(points).toEqual([p("a", 1, 1, 1)]);
    expect(seen).toEqual([{ metrics: ["a"], steps: { to: 1 } }]);
    await expect(
      readSeriesPoints(backend, { experiment: "e", run: "r" }, { steps: { from: 3, to: 1 } }),
    ).rejects.toThrow(ValidationError);
    expect(seen).toHaveLength(1);
  });
});

describe("validateSeriesQuery", () => {
  it.each([
    [{ metrics: "loss" }, /metrics must be an array of metric names/],
    [{ metrics: ["ok", 3] }, /non-empty metric names/],
    [{ steps: { from: Number.NaN } }, /steps\.from must be a finite number/],
    [{ steps: { from: 2, to: 1 } }, /steps\.from \(2\) must not be greater than steps\.to \(1\)/],
    [{ steps: [1, 2] }, /steps must be an object/],
    [null, /A series query must be an object/],
  ])("%j is refused", (query, message) => {
    expect(() => validateSeriesQuery(query)).toThrow(ValidationError);
    expect(() => validateSeriesQuery(query)).toThrow(message);
  });

  it("returns a copy: the value checked is the value used", () => {
    const metrics = ["a", "a", "b"];
    const checked = validateSeriesQuery({ metrics, steps: { from: 1 } });
    metrics.push("c");
    expect(checked).toEqual({ metrics: ["a", "b"], steps: { from: 1 } });
  });
});

describe("corruptSeriesError", () => {
  it("names the file or key, the offset, the reason and the points delivered before it", () => {
    const cause = new SyntaxError("Unexpected token");
    const error = corruptSeriesError({
      backend: "file",
      location: "/store/experiments/e/runs/r/timeseries.jsonl",
      offset: 4096,
      delivered: 12_345,
      reason: "the line is not a JSON object",
      cause,
    });
    expect(error).toBeInstanceOf(BackendError);
    expect(isExprunError(error, "BACKEND")).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      "[exprun] [file] Corrupt time-series data in /store/experiments/e/runs/r/timeseries.jsonl at byte offset " +
        "4096: the line is not a JSON object. The read stopped there after delivering 12,345 points; the points " +
        "before it are intact. Restore /store/experiments/e/runs/r/timeseries.jsonl from a backup, or remove the " +
        "damaged part, to read the rest.",
    );
    expect(
      corruptSeriesError({ backend: "s3", location: "k", offset: 0, delivered: 1, reason: "x" }).message,
    ).toContain("after delivering 1 point;");
  });
});
