import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { downsampleSeries, filterSeries, type SeriesChunk, validateTimeSeriesQuery } from "../src/index.js";

// A full collection before each sample makes the measure deterministic: what is still reachable then
// is what the consumer kept, not garbage waiting for the collector.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const CHUNK = 65_536;
const MiB = 1 << 20;

/** A lazily made series of `chunks` × 65,536 points (1.5 MiB each); samples retained buffer memory. */
function lazySeries(chunks: number, samples: number[]): AsyncIterable<SeriesChunk> {
  return (async function* () {
    for (let c = 0; c < chunks; c++) {
      if (c % 8 === 0) {
        gc();
        samples.push(process.memoryUsage().arrayBuffers);
      }
      const chunk = {
        metric: c % 2 ? "b" : "a",
        steps: new Float64Array(CHUNK),
        wallTimes: new Float64Array(CHUNK),
        values: new Float64Array(CHUNK),
      };
      for (let i = 0; i < CHUNK; i++) {
        const step = (c >> 1) * CHUNK + i;
        chunk.steps[i] = step;
        chunk.wallTimes[i] = 1e12 + step;
        chunk.values[i] = Math.sin(step);
      }
      yield chunk;
    }
  })();
}

describe("bounded memory", () => {
  it("downsampling 4 M points streamed holds a few chunks at a time, not the series (96 MiB)", async () => {
    gc();
    const base = process.memoryUsage().arrayBuffers;
    const samples: number[] = [];
    const result = await downsampleSeries(
      () => lazySeries(64, samples),
      validateTimeSeriesQuery({ buckets: 2000 }),
      async () => [],
    );
    expect(result.series.map((s) => s.count)).toEqual([2_097_152, 2_097_152]);
    expect(samples.length).toBe(8);
    const peak = Math.max(...samples) - base;
    expect(peak).toBeLessThan(16 * MiB);
  });

  it("filterSeries hands chunks on without keeping them", async () => {
    gc();
    const base = process.memoryUsage().arrayBuffers;
    const samples: number[] = [];
    let points = 0;
    for await (const chunk of filterSeries(lazySeries(64, samples), { steps: { from: 10 } }))
      points += chunk.steps.length;
    expect(points).toBe(4_194_304 - 20);
    expect(Math.max(...samples) - base).toBeLessThan(16 * MiB);
  });
});
