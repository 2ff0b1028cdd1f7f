import { NotFoundError, ValidationError } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { expectCode, inBatches } from "../src/context.js";
import { expectSamePoints, metricOrder, pointsOf, pointsOfWrites, stepWrites } from "../src/points.js";

describe("suite helpers", () => {
  it("inBatches keeps at most `limit` tasks in flight and returns results in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await inBatches(40, 7, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return i * 2;
    });
    expect(peak).toBe(7);
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
  });

  it("expectCode passes on the right code and fails on another code or a resolution", async () => {
    await expectCode(Promise.reject(new NotFoundError("gone")), "NOT_FOUND", /gone/);
    await expect(expectCode(Promise.reject(new ValidationError("bad")), "NOT_FOUND")).rejects.toThrow();
    await expect(expectCode(Promise.resolve(1), "NOT_FOUND")).rejects.toThrow();
  });
});

describe("point helpers", () => {
  const writes = stepWrites(["a", "b"], 0, 3);

  it("stepWrites makes one write per step with every metric", () => {
    expect(writes.map((w) => [w.step, Object.keys(w.values)])).toEqual([
      [0, ["a", "b"]],
      [1, ["a", "b"]],
      [2, ["a", "b"]],
    ]);
    expect(pointsOfWrites(writes)).toHaveLength(6);
  });

  it("expectSamePoints passes on the same points in any order and fails on a lost, doubled or foreign one", () => {
    const points = pointsOfWrites(writes);
    expectSamePoints([...points].reverse(), points);
    expect(() => expectSamePoints(points.slice(1), points)).toThrow(/missing/);
    expect(() => expectSamePoints([...points, points[0]!], points)).toThrow(/extra/);
    expect(() => expectSamePoints([...points.slice(1), { ...points[0]!, value: 9 }], points)).toThrow();
    expectSamePoints(
      [{ metric: "n", step: 1, wallTime: 1, value: Number.NaN }],
      [{ metric: "n", step: 1, wallTime: 1, value: Number.NaN }],
    );
  });

  it("pointsOf and metricOrder read chunks in delivery order", () => {
    const chunk = (metric: string, steps: number[]) => ({
      metric,
      steps: Float64Array.from(steps),
      wallTimes: Float64Array.from(steps),
      values: Float64Array.from(steps),
    });
    const chunks = [chunk("z", [1]), chunk("a", []), chunk("y", [2]), chunk("a", [3]), chunk("z", [4])];
    expect(metricOrder(chunks)).toEqual(["z", "y", "a"]);
    expect(pointsOf(chunks).map((p) => p.step)).toEqual([1, 2, 3, 4]);
  });
});
