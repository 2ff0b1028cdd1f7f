import { spawnSync } from "node:child_process";
import { latestSeriesPoints, readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { dist, requireBuilt } from "./children.js";
import { tempDir } from "./helpers.js";

async function storeWithRun() {
  const root = await tempDir();
  const writer = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
  await writer.createExperiment({ name: "e" });
  await writer.createRun("e", { name: "r", state: "RUNNING" });
  return { root, writer, ref: { experiment: "e", run: "r" } };
}

describe("buffered time series", () => {
  it("the writing backend reads its own buffered points at once; others see them after flush()", async () => {
    const { root, writer, ref } = await storeWithRun();
    await writer.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
    const other = createFileBackend({ root });
    expect(await readSeriesPoints(other, ref)).toEqual([]);
    expect(await readSeriesPoints(writer, ref)).toHaveLength(1);
    await writer.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }]);
    await writer.flush();
    expect((await readSeriesPoints(other, ref)).map((p) => p.step)).toEqual([1, 2]);
    expect((await latestSeriesPoints(other, ref)).loss?.step).toBe(2);
    await writer.close();
  });

  it("a run's state change (endRun) makes its buffered points visible and durable", async () => {
    const { root, writer, ref } = await storeWithRun();
    await writer.appendTimeSeries(ref, [{ step: 7, wallTime: 1, values: { acc: 0.5 } }]);
    await writer.updateRun(ref, { state: "COMPLETE" });
    const listed = await createFileBackend({ root }).listRuns("e", { withLatestTimeSeries: true });
    expect(listed.items[0]?.latestTimeSeries?.acc).toEqual({
      metric: "acc",
      step: 7,
      wallTime: 1,
      value: 0.5,
    });
    await writer.close();
  });

  it("a buffer over timeSeriesBufferBytes is appended without waiting for flush()", async () => {
    const root = await tempDir();
    const writer = createFileBackend({ root, timeSeriesBufferBytes: 1000, timeSeriesFlushIntervalMs: 0 });
    await writer.createExperiment({ name: "e" });
    await writer.createRun("e", { name: "r", state: "RUNNING" });
    const ref = { experiment: "e", run: "r" };
    for (let step = 0; step < 100; step++)
      await writer.appendTimeSeries(ref, [{ step, wallTime: 1, values: { x: step } }]);
    const seen = (await readSeriesPoints(createFileBackend({ root }), ref)).length;
    expect(seen).toBeGreaterThan(50);
    expect(seen).toBeLessThan(100);
    await writer.close();
  });

  it("points still buffered when the process exits normally are appended by the exit hook", async () => {
    requireBuilt();
    const { root, writer, ref } = await storeWithRun();
    const script = `
      import { createFileBackend } from ${JSON.stringify(dist)};
      const b = createFileBackend({ root: process.argv[1] });
      for (let step = 1; step <= 10; step++) {
        await b.appendTimeSeries({ experiment: "e", run: "r" }, [{ step, wallTime: 1, values: { y: step } }]);
      }
      process.exit(0); // no flush(), no close()`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script, root], {
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    expect(await readSeriesPoints(writer, ref)).toHaveLength(10);
    expect(
      (await writer.listRuns("e", { withLatestTimeSeries: true })).items[0]?.latestTimeSeries?.y?.step,
    ).toBe(10);
    await writer.close();
  });
});
