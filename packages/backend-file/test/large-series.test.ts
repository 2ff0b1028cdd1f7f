import { stat } from "node:fs/promises";
import { ExperimentRun, readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";
import { seriesFile } from "./layout.js";

// V8 cannot hold a string longer than 2^29 - 24 characters (~512 MiB): a store that reads a series
// file into one string cannot read this one at all.
const TARGET_BYTES = 560 * 1024 * 1024;
const METRICS = Array.from({ length: 10 }, (_, m) => `a_rather_long_metric_name_number_${m}`);
const RARE_EVERY = 100_000;

describe("a series file past 512 MiB", () => {
  it("streams back in bounded memory; the latest step and filtered reads need no full read", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root, fsync: false, timeSeriesFlushIntervalMs: 0 });
    await backend.createExperiment({ name: "exp-large" });
    await backend.createRun("exp-large", { name: "run-large", state: "RUNNING" });
    const ref = { experiment: "exp-large", run: "run-large" };

    let step = 0;
    let rare = 0;
    const file = () => seriesFile(root, "exp-large", "run-large");
    for (;;) {
      const writes = [];
      for (let i = 0; i < 20_000; i++) {
        step++;
        const values: Record<string, number> = {};
        for (let m = 0; m < METRICS.length; m++) values[METRICS[m]!] = (step % 1000) / 7 + m;
        if (step % RARE_EVERY === 0) {
          values.rare = step;
          rare++;
        }
        writes.push({ step, wallTime: 1_700_000_000_000 + step, values });
      }
      await backend.appendTimeSeries(ref, writes);
      await backend.flush();
      if ((await stat(file())).size > TARGET_BYTES) break;
    }
    await backend.close();
    const points = step * METRICS.length + rare;

    const reader = createFileBackend({ root });
    // The latest point of every series comes from the run's records, not from the 560 MB file.
    const latest = await reader.latestTimeSeries(ref);
    expect(latest[METRICS[3]!]).toEqual({
      metric: METRICS[3],
      step,
      wallTime: 1_700_000_000_000 + step,
      value: (step % 1000) / 7 + 3,
    });
    // A filtered read streams past everything else.
    const rarePoints = await readSeriesPoints(reader, ref, { metrics: ["rare"] });
    expect(rarePoints.map((p) => p.step)).toEqual(
      Array.from({ length: rare }, (_, i) => (i + 1) * RARE_EVERY),
    );

    // Logging without a step continues after the last one.
    const run = await ExperimentRun.get("run-large", { experiment: "exp-large", backend: reader });
    await run.logTimeSeriesMetrics({ after: 1 });
    await reader.flush();
    expect((await reader.latestTimeSeries(ref)).after?.step).toBe(step + 1);

    // The whole series streams in chunks, in write order; memory stays far below the file's size.
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let all = 0;
    let lastStep = 0;
    let ordered = true;
    const rareSteps: number[] = [];
    for await (const chunk of reader.readSeries(ref)) {
      all += chunk.values.length;
      if (chunk.metric === METRICS[0]) {
        if (chunk.steps[0]! <= lastStep) ordered = false;
        lastStep = chunk.steps[chunk.steps.length - 1]!;
      }
      if (chunk.metric === "rare") rareSteps.push(...chunk.steps);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(all).toBe(points + 1);
    expect(ordered).toBe(true);
    expect(lastStep).toBe(step);
    expect(rareSteps).toEqual(rarePoints.map((p) => p.step));
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
    await reader.close();
  }, 600_000);
});
