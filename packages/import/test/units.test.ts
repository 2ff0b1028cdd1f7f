import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import {
  experimentNameFor,
  ImportNames,
  inferParamValue,
  parsePythonFloat,
  parsePythonJson,
  SeriesSettler,
  slug,
} from "../src/index.js";
import { MAX_WARNINGS, Report } from "../src/report.js";
import { crc32c, crc32cBytewise, maskCrc } from "../src/shared/crc32c.js";
import { float32ToNumber } from "../src/shared/float32.js";
import { tempDir } from "./helpers.js";

describe("CRC-32C", () => {
  it("matches the standard check value and the byte-at-a-time form", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    const data = Uint8Array.from({ length: 10_007 }, (_, i) => (i * 2654435761) >>> 24);
    for (const [start, end] of [
      [0, data.length],
      [3, 10_000],
      [5, 12],
      [0, 0],
    ] as const) {
      expect(crc32c(data, start, end)).toBe(crc32cBytewise(data, start, end));
    }
  });

  it("continues a CRC across pieces", () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    expect(crc32c(data, 300, 1000, crc32c(data, 0, 300))).toBe(crc32c(data));
  });

  it("masks as TFRecord does", () => {
    const crc = 0x12345678;
    expect(maskCrc(crc)).toBe((((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0);
  });
});

describe("names", () => {
  it("follows the documented rule", () => {
    expect(experimentNameFor("Default", "x-exp")).toBe("default");
    expect(experimentNameFor("Test Sktime", "x-exp")).toBe("test-sktime");
    expect(experimentNameFor("CV", "x-exp")).toBe("cv-exp");
    expect(experimentNameFor("a", "x-exp")).toBe("a-exp");
    expect(experimentNameFor("!!!", "mlflow-0")).toBe("mlflow-0");
    expect(slug("May02_18-42-06_macbook.local")).toBe("may02-18-42-06-macbook-local");
    expect(slug("Café/β--x")).toBe("cafe-x");
    expect(slug("  --Hello--  ")).toBe("hello");
  });

  it("caps experiment names so every run name fits Vertex's 121-character run id", () => {
    const names = new ImportNames();
    const experiment = names.experiment("1", "e".repeat(300), "fallback");
    expect(experiment.length).toBeLessThanOrEqual(64);
    const run = names.run(experiment, "r1", "r".repeat(300), "r1");
    expect(experiment.length + 1 + run.length).toBeLessThanOrEqual(121);
  });

  it("keeps names unique in their scope and stable per source id", () => {
    const names = new ImportNames();
    expect(names.experiment("1", "Same", "f")).toBe("same");
    expect(names.experiment("2", "same", "f")).toBe("same-2");
    expect(names.experiment("1", "Same", "f")).toBe("same");
    expect(names.run("same", "a", "run", "a")).toBe("run");
    expect(names.run("same", "b", "run", "b")).toBe("run-2");
    expect(names.run("same-2", "c", "run", "c")).toBe("run");
    expect(names.run("same", "d", "日本", "0123abcd")).toBe("0123abcd");
    const long = names.run("same", "e", "x".repeat(200), "e");
    expect(names.run("same", "f", "x".repeat(200), "f")).toBe(`${long.slice(0, long.length - 2)}-2`);
  });
});

describe("values as Python writes them", () => {
  it("parses floats, nan, inf and -inf", () => {
    expect(parsePythonFloat("0.5")).toBe(0.5);
    expect(parsePythonFloat("1e-05")).toBe(1e-5);
    expect(parsePythonFloat("-3")).toBe(-3);
    expect(parsePythonFloat("nan")).toBeNaN();
    expect(parsePythonFloat("inf")).toBe(Number.POSITIVE_INFINITY);
    expect(parsePythonFloat("-inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parsePythonFloat("Infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(parsePythonFloat("")).toBeUndefined();
    expect(parsePythonFloat("abc")).toBeUndefined();
    expect(parsePythonFloat("0x10")).toBeUndefined();
  });

  it("infers param types from MLflow's text", () => {
    expect(inferParamValue("32")).toBe(32);
    expect(inferParamValue("-0.001")).toBe(-0.001);
    expect(inferParamValue("1e-05")).toBe(1e-5);
    expect(inferParamValue("True")).toBe(true);
    expect(inferParamValue("False")).toBe(false);
    for (const text of [
      "007",
      "1_000",
      "nan",
      "inf",
      "None",
      "adam",
      "12345678901234567890",
      "1.",
      ".5",
      "",
    ]) {
      expect(inferParamValue(text)).toBe(text);
    }
  });

  it("reads Python JSON with NaN and Infinity tokens", () => {
    expect(parsePythonJson('{"a": 1}')).toEqual({ a: 1 });
    expect(parsePythonJson('{"a": NaN, "b": -Infinity, "c": "NaN"}')).toEqual({
      a: Number.NaN,
      b: Number.NEGATIVE_INFINITY,
      c: "NaN",
    });
    expect(() => parsePythonJson("{nope")).toThrow(SyntaxError);
  });

  it("gives float32 values as their shortest decimal", () => {
    expect(float32ToNumber(Math.fround(0.1))).toBe(0.1);
    expect(float32ToNumber(Math.fround(1 / 3))).toBe(0.33333334);
    expect(float32ToNumber(Math.fround(123456.789))).toBe(123456.79);
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround(Math.sin(i) * 10 ** ((i % 20) - 10));
      expect(Math.fround(float32ToNumber(x))).toBe(x);
    }
  });
});

async function settle(settler: SeriesSettler) {
  const out: Record<string, [number, number, number][]> = {};
  for await (const c of settler.chunks()) {
    out[c.metric] ??= [];
    for (let i = 0; i < c.steps.length; i++)
      out[c.metric]!.push([c.steps[i]!, c.wallTimes[i]!, c.values[i]!]);
  }
  return out;
}

describe("SeriesSettler", () => {
  it("keeps one point per (metric, step): the latest wall time, ties the one added last; metrics in first-seen order", async () => {
    const s = new SeriesSettler();
    s.add("b", 2, 10, 1);
    s.add("a", 1, 10, 2);
    s.add("b", 1, 10, 3);
    s.add("b", 2, 9, 4); // older: loses
    s.add("b", 2, 10, 5); // same time, later: wins
    s.add("a", 1, 11, 6); // later: wins
    s.add("c", 5, 1, 7);
    s.add("c", 2, 2, 8); // added later but at a smaller step: not the latest
    s.add("c", 5, 0, 9); // same step, older wall time: not the latest either
    expect(s.keys).toEqual(["b", "a", "c"]);
    const settled = {
      b: [
        [1, 10, 3],
        [2, 10, 5],
      ],
      a: [[1, 11, 6]],
      c: [
        [2, 2, 8],
        [5, 1, 7],
      ],
    };
    expect(await settle(s)).toEqual(settled);
    expect(s.latest()).toEqual({
      b: { step: 2, wallTime: 10, value: 5 },
      a: { step: 1, wallTime: 11, value: 6 },
      c: { step: 5, wallTime: 1, value: 7 },
    });
    // a second read gives the same
    expect(await settle(s)).toEqual(settled);
  });

  it("spills to a temporary folder past its memory budget, merges to the same result, and removes it on close", async () => {
    const tmp = tempDir();
    const points: [string, number, number, number][] = [];
    for (let i = 0; i < 5000; i++) points.push([`m${i % 3}`, (i * 7919) % 1200, i % 17, i]);
    const inMemory = new SeriesSettler();
    const spilled = new SeriesSettler({ memoryPoints: 333, tmpDir: tmp, chunkSize: 50 });
    for (const p of points) {
      inMemory.add(...p);
      spilled.add(...p);
    }
    expect(readdirSync(tmp)).toHaveLength(1);
    const expected = await settle(inMemory);
    expect(await settle(spilled)).toEqual(expected);
    expect(await settle(spilled)).toEqual(expected);
    expect(spilled.latest()).toEqual(inMemory.latest());
    for (const series of Object.values(expected)) {
      expect(series.map((p) => p[0])).toEqual([...new Set(series.map((p) => p[0]))].sort((a, b) => a - b));
    }
    await spilled.close();
    await spilled.close();
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(os.tmpdir())).toBe(true);
  });

  it("hands out chunks of at most chunkSize points, one metric each", async () => {
    const s = new SeriesSettler({ chunkSize: 4 });
    for (let i = 0; i < 10; i++) s.add("x", i, i, i);
    const sizes: number[] = [];
    for await (const c of s.chunks()) sizes.push(c.steps.length);
    expect(sizes).toEqual([4, 4, 2]);
  });
});

describe("Report", () => {
  it("counts skipped items and keeps at most MAX_WARNINGS warnings", () => {
    const seen: string[] = [];
    const r = new Report((m) => seen.push(m));
    r.skip("images", 2);
    r.skip("images");
    r.skip("none", 0);
    for (let i = 0; i < MAX_WARNINGS + 5; i++) r.warn(`w${i}`);
    expect(r.skipped).toEqual({ images: 3 });
    expect(r.warnings).toHaveLength(MAX_WARNINGS + 1);
    expect(r.warnings.at(-1)).toBe("… and 5 more warnings");
    expect(seen).toHaveLength(MAX_WARNINGS + 5);
  });
});
