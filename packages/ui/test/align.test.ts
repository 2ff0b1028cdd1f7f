// The page's chart preparation, as plain functions: several runs on one x array without losing a
// spike or an end point, and TensorBoard's debiased smoothing.
import { describe, expect, it } from "vitest";
import type { SeriesEntry } from "../src/web/api.js";
import { alignSeries, smoothLine } from "../src/web/charts/align.js";

function raw(run: string, points: [number, number][]): SeriesEntry {
  return {
    run,
    metric: "loss",
    x: "step",
    count: points.length,
    first: points.length ? { step: points[0]![0], wallTime: 0, value: points[0]![1] } : null,
    last: points.length ? { step: points.at(-1)![0], wallTime: 0, value: points.at(-1)![1] } : null,
    kind: "raw",
    n: points.length,
    xs: Float64Array.from(points.map((p) => p[0])),
    ys: Float64Array.from(points.map((p) => p[1])),
  };
}

function buckets(
  run: string,
  from: number,
  to: number,
  min: number[],
  max: number[],
  last: number[],
  ends: [number, number][],
): SeriesEntry {
  const n = min.length;
  const width = (to - from) / n;
  return {
    run,
    metric: "loss",
    x: "step",
    count: 1000,
    first: { step: ends[0]![0], wallTime: 0, value: ends[0]![1] },
    last: { step: ends[1]![0], wallTime: 0, value: ends[1]![1] },
    kind: "buckets",
    n,
    from,
    to,
    xs: Float64Array.from({ length: n }, (_, i) => from + (i + 0.5) * width),
    ys: Float32Array.from(last),
    min: Float32Array.from(min),
    max: Float32Array.from(max),
  };
}

const input = (entry: SeriesEntry) => ({ entry, shift: 0, scale: 1 });

describe("alignSeries", () => {
  it("joins raw series exactly on the union of their x values", () => {
    const aligned = alignSeries(
      [
        input(
          raw("a", [
            [1, 10],
            [2, 20],
          ]),
        ),
        input(
          raw("b", [
            [2, 5],
            [3, 6],
          ]),
        ),
      ],
      100,
    );
    expect([...aligned.xs]).toEqual([1, 2, 3]);
    expect(aligned.lines).toEqual([
      [10, 20, null],
      [null, 5, 6],
    ]);
    expect(aligned).toMatchObject({ downsampled: false, rawCount: 4, shownCount: 4 });
  });

  it("keeps one run's buckets as the server made them, with the exact end points", () => {
    const entry = buckets(
      "a",
      0,
      100,
      [1, 2, 3, 4],
      [1, 900, 3, 4],
      [1, 2, 3, 4],
      [
        [0, 0.5],
        [100, 4.5],
      ],
    );
    const aligned = alignSeries([input(entry)], 2);
    expect([...aligned.xs]).toEqual([0, 12.5, 37.5, 62.5, 87.5, 100]);
    expect(aligned.lines[0]).toEqual([0.5, 1, 2, 3, 4, 4.5]);
    expect(Math.max(...(aligned.maxs![0]!.filter((v) => v !== null) as number[]))).toBe(900);
  });

  it("puts runs with different ranges on one grid, keeping every spike in the band", () => {
    const a = buckets(
      "a",
      0,
      100,
      [1, 1, 1, 1],
      [1, 1, 500, 1],
      [1, 1, 1, 1],
      [
        [0, 1],
        [100, 1],
      ],
    );
    const b = buckets(
      "b",
      50,
      250,
      [2, 2, 2, 2],
      [2, 2, 2, 700],
      [2, 2, 2, 2],
      [
        [50, 2],
        [250, 2],
      ],
    );
    const aligned = alignSeries([input(a), input(b)], 5);
    const top = (k: number) => Math.max(...(aligned.maxs![k]!.filter((v) => v !== null) as number[]));
    expect(top(0)).toBe(500);
    expect(top(1)).toBe(700);
    // Both runs' first and last points sit at their exact x.
    for (const x of [0, 50, 100, 250]) expect([...aligned.xs]).toContain(x);
    expect(aligned.lines[1]![[...aligned.xs].indexOf(250)]).toBe(2);
    expect(aligned.downsampled).toBe(true);
  });

  it("drops non-finite values from the line (they cannot be drawn) but keeps the count", () => {
    const aligned = alignSeries(
      [
        input(
          raw("a", [
            [1, Number.NaN],
            [2, Number.POSITIVE_INFINITY],
            [3, 1],
          ]),
        ),
      ],
      10,
    );
    expect(aligned.lines[0]).toEqual([null, null, 1]);
    expect(aligned.rawCount).toBe(3);
  });
});

describe("smoothLine", () => {
  it("is TensorBoard's debiased EMA: the first value is kept, later ones pulled towards the past", () => {
    const smoothed = smoothLine([10, 0, 0], 0.5);
    expect(smoothed[0]).toBeCloseTo(10, 12);
    // last = 0.5·5 + 0 = 2.5, debias 1 − 0.25 → 3.333…
    expect(smoothed[1]).toBeCloseTo(10 / 3, 12);
    expect(smoothed[2]).toBeCloseTo(1.25 / 0.875, 12);
  });
  it("keeps gaps and is the identity at weight 0", () => {
    expect(smoothLine([1, null, 3], 0.6)[1]).toBeNull();
    expect(smoothLine([1, 2, 3], 0)).toEqual([1, 2, 3]);
  });
});
