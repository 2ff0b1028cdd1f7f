import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { encodeWrite } from "../src/series.js";
import { tempDir } from "./helpers.js";

describe("time-series lines", () => {
  it("are plain JSON Lines, one per write", () => {
    expect(encodeWrite({ step: 3, wallTime: 1700000000000, values: { loss: 0.25, 'a"b': 1 } })).toBe(
      '{"step":3,"wallTime":1700000000000,"values":{"loss":0.25,"a\\"b":1}}\n',
    );
  });

  it("keep NaN, ±Infinity and -0 through a round trip", async () => {
    expect(encodeWrite({ step: 1, wallTime: 2, values: { a: Number.NaN, b: -0, c: 1 } })).toBe(
      '{"step":1,"wallTime":2,"values":{"a":{"$float":"NaN"},"b":-0,"c":1}}\n',
    );
    const backend = createFileBackend({ root: await tempDir() });
    await backend.createExperiment({ name: "e" });
    await backend.createRun("e", { name: "r", state: "RUNNING" });
    const ref = { experiment: "e", run: "r" };
    const values = { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, nz: -0 };
    await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 5, values }]);
    await backend.close();
    const points = await readSeriesPoints(createFileBackend({ root: backend.root }), ref);
    expect(Object.fromEntries(points.map((p) => [p.metric, p.value]))).toEqual(values);
    expect(Object.is(points.find((p) => p.metric === "nz")?.value, -0)).toBe(true);
  });
});
