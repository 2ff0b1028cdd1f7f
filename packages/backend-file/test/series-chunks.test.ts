import { appendFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TimeSeriesWrite } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { chunkHeader, encodeWrite } from "../src/series.js";
import { type ReadLimits, type SeriesQuery, SeriesReader } from "../src/series-read.js";
import { tempDir } from "./helpers.js";

/** A chunk as a writer appends it: header, then exactly its lines. */
function chunk(id: string, writes: TimeSeriesWrite[]): Buffer {
  const body = Buffer.from(writes.map(encodeWrite).join(""));
  const steps = writes.map((w) => w.step);
  return Buffer.concat([chunkHeader(id, body.length, Math.min(...steps), Math.max(...steps)), body]);
}

const w = (step: number, values: Record<string, number>): TimeSeriesWrite => ({
  step,
  wallTime: step * 10,
  values,
});
const writes = (from: number, n: number, metric = "loss") =>
  Array.from({ length: n }, (_, i) => w(from + i, { [metric]: from + i }));

/** Every point read, as `metric@step=value`, metrics in the order their first chunk came. */
async function read(file: string, query?: SeriesQuery, limits?: ReadLimits, unappended: Buffer[] = []) {
  const points: string[] = [];
  const firsts: string[] = [];
  for await (const c of new SeriesReader(query, limits).read(file, unappended)) {
    if (!firsts.includes(c.metric)) firsts.push(c.metric);
    for (let i = 0; i < c.steps.length; i++) points.push(`${c.metric}@${c.steps[i]}=${c.values[i]}`);
  }
  return { points, firsts };
}

async function file(...parts: (Buffer | string)[]): Promise<string> {
  const f = path.join(await tempDir(), "timeseries.jsonl");
  await writeFile(f, Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p))));
  return f;
}

const tiny: ReadLimits = { block: 64, maxInMemory: 256, emitPoints: 3 };

describe("framed time-series chunks", () => {
  for (const [name, limits] of [
    ["whole chunks in memory", undefined],
    ["tiny blocks (chunks scanned and parsed in pieces)", tiny],
  ] as const) {
    describe(name, () => {
      it("a chunk cut short mid-line, followed by another writer's chunk and its own retry, is read once", async () => {
        const a = chunk("A.0", writes(1, 10));
        const b = chunk("B.0", writes(100, 3, "other"));
        const f = await file(a.subarray(0, 90), b, a);
        const { points } = await read(f, undefined, limits);
        expect(points.filter((p) => p.startsWith("loss@"))).toHaveLength(10);
        expect(points.filter((p) => p.startsWith("other@"))).toEqual([
          "other@100=100",
          "other@101=101",
          "other@102=102",
        ]);
      });

      it("a chunk cut exactly at a line end, and a header cut in the middle, are skipped", async () => {
        const a = chunk("A.0", writes(1, 4));
        const lineEnd = a.indexOf(10, a.indexOf(10) + 1) + 1; // header + one line
        const b = chunk("B.0", writes(50, 2));
        const c = chunk("C.0", writes(60, 2));
        const f = await file(a.subarray(0, lineEnd), b.subarray(0, 15), c, a);
        expect((await read(f, undefined, limits)).points).toEqual([
          "loss@60=60",
          "loss@61=61",
          "loss@1=1",
          "loss@2=2",
          "loss@3=3",
          "loss@4=4",
        ]);
      });

      it("the same chunk appended twice (a retried flush that had written it) is read once", async () => {
        const a = chunk("A.7", writes(1, 5));
        expect((await read(await file(a, a), undefined, limits)).points).toHaveLength(5);
      });

      it("a chunk still being written at the end of the file is not read yet; once others follow, it is skipped", async () => {
        const a = chunk("A.0", writes(1, 2));
        const b = chunk("B.0", writes(10, 6));
        const f = await file(a, b.subarray(0, b.length - 20));
        expect((await read(f, undefined, limits)).points).toEqual(["loss@1=1", "loss@2=2"]);
        await appendFile(f, chunk("C.0", writes(20, 1)));
        expect((await read(f, undefined, limits)).points).toEqual(["loss@1=1", "loss@2=2", "loss@20=20"]);
      });

      it("lines of layout 1 (a torn one included) come before the chunks after them", async () => {
        const legacy = `${encodeWrite(w(1, { loss: 1 }))}${encodeWrite(w(2, { loss: 2 }))}{"step":3,"wallTi`;
        const f = await file(legacy, encodeWrite(w(4, { loss: 4 })), chunk("A.0", writes(5, 2)));
        expect((await read(f, undefined, limits)).points).toEqual([
          "loss@1=1",
          "loss@2=2",
          "loss@4=4",
          "loss@5=5",
          "loss@6=6",
        ]);
        const f2 = await file(legacy, chunk("A.0", writes(5, 1)));
        expect((await read(f2, undefined, limits)).points).toEqual(["loss@1=1", "loss@2=2", "loss@5=5"]);
      });

      it("a line outside any chunk is an error naming the file, the byte offset and the points read before it", async () => {
        const a = chunk("A.0", writes(1, 3));
        const f = await file(a, "[1,2,3]\n", chunk("B.0", writes(9, 1)));
        const error = await read(f, undefined, limits).then(
          () => undefined,
          (e: Error & { code?: string }) => e,
        );
        expect(error?.code).toBe("BACKEND");
        expect(error?.message).toContain(f);
        expect(error?.message).toContain(`byte offset ${a.length}`);
        expect(error?.message).toContain("3 points");
      });

      it("steps and metrics filters; each metric's first chunk comes in the order the metric first appeared", async () => {
        const f = await file(
          chunk("A.0", [w(1, { b: 1, a: 1 }), w(2, { b: 2, a: 2 })]),
          chunk("A.1", [w(3, { c: 3, a: 3 }), w(4, { b: 4 })]),
          chunk("A.2", [w(10, { a: 10 })]),
        );
        expect((await read(f, undefined, limits)).firsts).toEqual(["b", "a", "c"]);
        expect((await read(f, { steps: { from: 2, to: 3 } }, limits)).points.sort()).toEqual(
          ["a@2=2", "a@3=3", "b@2=2", "c@3=3"].sort(),
        );
        expect((await read(f, { metrics: ["a"], steps: { from: 4 } }, limits)).points).toEqual(["a@10=10"]);
      });

      it("chunks not yet appended (a failing disk) come after the file's, and one the file also has is read once", async () => {
        const a = chunk("A.0", writes(1, 2));
        const b = chunk("A.1", writes(3, 2));
        const f = await file(a);
        expect((await read(f, undefined, limits, [a, b])).points).toEqual([
          "loss@1=1",
          "loss@2=2",
          "loss@3=3",
          "loss@4=4",
        ]);
      });
    });
  }

  it("NaN, ±Infinity and -0 survive the stream", async () => {
    const f = await file(
      chunk("A.0", [
        w(1, { n: Number.NaN, p: Number.POSITIVE_INFINITY, m: Number.NEGATIVE_INFINITY, z: -0 }),
      ]),
    );
    const values: Record<string, number> = {};
    for await (const c of new SeriesReader().read(f)) values[c.metric] = c.values[0]!;
    expect(values.n).toBeNaN();
    expect(values.p).toBe(Number.POSITIVE_INFINITY);
    expect(values.m).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(values.z, -0)).toBe(true);
  });
});
