import { describe, expect, it } from "vitest";
import { buildTimeSeriesDataFrame, latestPoints, settlePoints } from "../src/index.js";

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
