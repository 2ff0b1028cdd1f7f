import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { uniquePrefix, useTestServer } from "./server.js";

const s3 = useTestServer();
const backend = s3.backend;

async function inBatches(count: number, size: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += size) {
    await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, k) => fn(start + k)));
  }
}

describe("request costs", () => {
  it("10,000 time-series points are written in a handful of PUTs, not one per point", async () => {
    const b = backend(uniquePrefix("eff"));
    await b.createExperiment({ name: "e" });
    await b.createRun("e", { name: "r", state: "RUNNING" });
    const ref = { experiment: "e", run: "r" };
    s3.server.resetCounts();
    for (let step = 0; step < 10_000; step++) {
      await b.appendTimeSeries(ref, [{ step, wallTime: 1_000 + step, values: { loss: 1 / (step + 1) } }]);
    }
    await b.flush();
    const writes = s3.server.requests.byMethod.PUT ?? 0;
    const total = s3.server.requests.total;
    console.log(`10,000 points: ${total} requests (${writes} PUT)`);
    expect(writes).toBeLessThanOrEqual(6);
    expect(total).toBeLessThanOrEqual(12);
    const fresh = backend(b.prefix);
    expect(await readSeriesPoints(fresh, ref)).toHaveLength(10_000);
    await b.close();
    await fresh.close();
  });

  it("reading a settled experiment of 1,000 runs with params and metrics takes at most 50 requests", async () => {
    const prefix = uniquePrefix("eff");
    const writer = backend(prefix);
    await writer.createExperiment({ name: "big" });
    await inBatches(1000, 50, (i) => writer.createRun("big", { name: `run-${i}`, state: "RUNNING" }));
    await inBatches(1000, 25, async (i) => {
      const ref = { experiment: "big", run: `run-${i}` };
      await writer.getRun(ref);
      await writer.updateRun(ref, { params: { index: i, parity: i % 2 ? "odd" : "even" } });
      await writer.updateRun(ref, { metrics: { score: i / 1000 } });
    });
    await writer.close();

    s3.server.resetCounts();
    const reader = backend(prefix);
    const runs = [];
    let pageToken: string | undefined;
    do {
      const page = await reader.listRuns("big", { pageSize: 100, pageToken });
      runs.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    console.log(`1,000-run experiment read: ${s3.server.requests.total} requests`);
    expect(runs).toHaveLength(1000);
    expect(runs.find((r) => r.name === "run-999")).toMatchObject({
      params: { index: 999, parity: "odd" },
      metrics: { score: 0.999 },
    });
    expect(s3.server.requests.total).toBeLessThanOrEqual(50);
    await reader.close();
  }, 300_000);

  it("a read of one run skips the deltas other machines wrote to other runs", async () => {
    const prefix = uniquePrefix("eff");
    const a = backend(prefix);
    const b = backend(prefix);
    await a.createExperiment({ name: "e" });
    await a.createRun("e", { name: "mine", state: "RUNNING" });
    await b.createRun("e", { name: "theirs", state: "RUNNING" });
    await a.getRun({ experiment: "e", run: "mine" });
    for (let k = 0; k < 20; k++)
      await b.updateRun({ experiment: "e", run: "theirs" }, { params: { [`k${k}`]: k } });
    s3.server.resetCounts();
    const mine = await a.getRun({ experiment: "e", run: "mine" });
    expect(mine?.name).toBe("mine");
    expect(s3.server.requests.total).toBe(1);
    expect((await a.getRun({ experiment: "e", run: "theirs" }))?.params.k19).toBe(19);
    await a.close();
    await b.close();
  });

  it("updating a run this backend has seen is one LIST (the causality barrier) and one PUT", async () => {
    const b = backend(uniquePrefix("eff"));
    await b.createExperiment({ name: "e" });
    await b.createRun("e", { name: "r", state: "RUNNING" });
    s3.server.resetCounts();
    const record = await b.updateRun({ experiment: "e", run: "r" }, { params: { a: 1 }, state: "COMPLETE" });
    expect(record).toMatchObject({ params: { a: 1 }, state: "COMPLETE" });
    expect(s3.server.requests.byMethod).toEqual({ GET: 1, PUT: 1 });
    await b.close();
  });
});
