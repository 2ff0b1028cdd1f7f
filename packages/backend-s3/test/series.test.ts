import { readSeriesPoints, settlePoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { type Exchange, SERVERS, uniquePrefix, useTestServer } from "./server.js";

const isChunkGet = (x: Exchange) =>
  x.method === "GET" && decodeURIComponent(x.url).includes("/series/") && x.url.includes(".bin");
const isList = (x: Exchange) => x.method === "GET" && /[?&]list-type=2/.test(x.url);

for (const kind of SERVERS) {
  describe(`time-series reads on ${kind}`, () => {
    const s3 = useTestServer(kind);

    it("a read streams column chunks: the first arrives before later chunks are fetched, with a bounded prefetch", async () => {
      const prefix = uniquePrefix("stream");
      const writer = s3.backend(prefix, { seriesChunkPoints: 100 });
      await writer.createExperiment({ name: "e" });
      await writer.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      for (let step = 0; step < 4000; step += 100) {
        await writer.appendTimeSeries(
          ref,
          Array.from({ length: 100 }, (_, i) => ({
            step: step + i,
            wallTime: 1_700_000_000_000 + step + i,
            values: { loss: step + i },
          })),
        );
      }
      await writer.close();
      expect((await s3.server.keys(`${prefix}/experiments/e/series/r/`)).length).toBe(40);

      const reader = s3.backend(prefix, { concurrency: 4 });
      s3.server.resetCounts();
      s3.server.recording = true;
      const iterator = reader.readSeries(ref)[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      expect(first.value?.metric).toBe("loss");
      expect(first.value?.steps).toBeInstanceOf(Float64Array);
      expect(Array.from(first.value?.steps ?? []).slice(0, 3)).toEqual([0, 1, 2]);
      // The consumer has one chunk; the stream has fetched at most a prefetch window more.
      expect(s3.server.recorded.filter(isChunkGet).length).toBeLessThanOrEqual(5);
      let points = first.value?.steps.length ?? 0;
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        points += next.value.steps.length;
      s3.server.recording = false;
      expect(points).toBe(4000);
      expect(s3.server.gets.max).toBeLessThanOrEqual(4);
      // One GET per chunk, one listing of the chunks, one of the run's log.
      expect(s3.server.recorded.filter(isChunkGet)).toHaveLength(40);
      expect(s3.server.recorded.filter(isList)).toHaveLength(2);
      await reader.close();
    });

    it("every point exactly once, same-step points in write order, and NaN, ±Infinity and -0 exact", async () => {
      const prefix = uniquePrefix("exact");
      const a = s3.backend(prefix);
      const b = s3.backend(prefix);
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      await a.appendTimeSeries(ref, [{ step: 1, wallTime: 10, values: { loss: 1, odd: Number.NaN } }]);
      await a.flush();
      await b.appendTimeSeries(ref, [
        { step: 1, wallTime: 11, values: { loss: 2, odd: Number.POSITIVE_INFINITY } },
      ]);
      await b.flush();
      await a.appendTimeSeries(ref, [
        { step: 2, wallTime: 12, values: { loss: -0, odd: Number.NEGATIVE_INFINITY } },
        { step: 1, wallTime: 13, values: { loss: 3 } },
      ]);
      const reader = s3.backend(prefix);
      const raw = await readSeriesPoints(a, ref); // a flushes its buffer before reading
      expect(raw).toHaveLength(7);
      const settled = settlePoints(await readSeriesPoints(reader, ref));
      const loss = settled.filter((p) => p.metric === "loss");
      expect(loss.map((p) => [p.step, p.value])).toEqual([
        [1, 3],
        [2, -0],
      ]);
      expect(Object.is(loss[1]?.value, -0)).toBe(true);
      const odd = settled.filter((p) => p.metric === "odd").map((p) => p.value);
      expect(odd).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      expect((await readSeriesPoints(reader, ref, { metrics: ["odd"] })).map((p) => p.value)).toEqual([
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ]);
      const steps: number[] = [];
      for await (const chunk of reader.readSeries(ref, { metrics: ["loss"], steps: { from: 2 } }))
        steps.push(...chunk.steps);
      expect(steps).toEqual([2]);
      for (const x of [a, b, reader]) await x.close();
    });

    it("a failed flush keeps its points, every flush rejects while the cause lasts, and nothing is written twice", async () => {
      const prefix = uniquePrefix("failing");
      const b = s3.backend(prefix);
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      const chunkPut = (x: Exchange) => x.method === "PUT" && decodeURIComponent(x.url).includes(".bin");
      const summaryPut = (x: Exchange) =>
        x.method === "PUT" && decodeURIComponent(x.url).includes("/meta/d/");
      const refused = { status: 403, code: "AccessDenied", message: "Refused by the test." };
      // The chunk cannot be written: its points stay buffered, across flushes and new appends.
      s3.server.refuse = (x) => (chunkPut(x) ? refused : undefined);
      await b.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
      await expect(b.flush()).rejects.toThrow(/AccessDenied/);
      await b.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }]);
      await expect(b.flush()).rejects.toThrow(/AccessDenied/);
      // The chunk is stored but its summary is refused: the next flush writes the summary only.
      s3.server.refuse = (x) => (summaryPut(x) ? refused : undefined);
      await expect(b.flush()).rejects.toThrow(/AccessDenied/);
      s3.server.refuse = undefined;
      await b.flush();
      const reader = s3.backend(prefix);
      expect((await readSeriesPoints(reader, ref)).map((p) => [p.step, p.value])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      expect(
        (await reader.listRuns("e", { withLatestTimeSeries: true })).items[0]?.latestTimeSeries?.loss?.step,
      ).toBe(2);
      for (const x of [b, reader]) await x.close();
    });

    it("small chunks from timer flushes are folded into one, and reads before and after deliver the same points", async () => {
      const prefix = uniquePrefix("fold");
      const writer = s3.backend(prefix, { seriesChunkPoints: 1000, seriesCompactThreshold: 4 });
      await writer.createExperiment({ name: "e" });
      await writer.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      for (let flush = 0; flush < 10; flush++) {
        await writer.appendTimeSeries(ref, [
          { step: flush, wallTime: flush, values: { a: flush } },
          { step: flush, wallTime: flush, values: { a: flush + 0.5 } },
        ]);
        await writer.flush();
      }
      const chunks = () => s3.server.keys(`${prefix}/experiments/e/series/r/`);
      expect(await chunks()).toHaveLength(10);
      const before = await readSeriesPoints(writer, ref);
      expect((await chunks()).length).toBeLessThan(10);
      const reader = s3.backend(prefix);
      expect(await readSeriesPoints(reader, ref)).toEqual(before);
      expect(settlePoints(before).map((p) => p.value)).toEqual(Array.from({ length: 10 }, (_, i) => i + 0.5));
      for (const x of [writer, reader]) await x.close();
    });
  });
}
