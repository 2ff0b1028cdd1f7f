import { createMemoryBackend } from "@exprun/backend-memory";
import { ExperimentRun, type TimeSeriesDataFrameRow } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { EXPORT_WINDOW_POINTS, runRows } from "../src/commands/export.js";

describe("export --time-series of a long run", () => {
  // Guards against a whole run's DataFrame held in memory: a long run is written a window of steps
  // at a time, and the windows together are exactly the run's DataFrame, in order.
  it("reads a long run in step windows whose rows are the run's DataFrame, in order", async () => {
    const backend = createMemoryBackend();
    const run = await ExperimentRun.create("long", { backend, experiment: "windows" });
    const steps = Math.round(EXPORT_WINDOW_POINTS * 1.3);
    for (let from = 0; from < steps; from += 20_000) {
      const writes = [];
      for (let step = from; step < Math.min(steps, from + 20_000); step++) {
        // Two metrics; a third only on some steps; a step with two wall times.
        const values: Record<string, number> = { loss: 1 / (step + 1), acc: step / steps };
        if (step % 7 === 0) values.lr = 0.1;
        writes.push({ step, wallTime: 1_700_000_000_000 + step, values });
      }
      await backend.appendTimeSeries(run.ref, writes);
    }
    await backend.appendTimeSeries(run.ref, [{ step: 5, wallTime: 1_800_000_000_000, values: { loss: 9 } }]);
    const pieces: TimeSeriesDataFrameRow[][] = [];
    for await (const rows of runRows(run)) pieces.push(rows);
    expect(pieces.length).toBeGreaterThan(2);
    // Points held per window: about the window's size (bucket edges are estimates), never the run.
    const pointsOf = (rows: TimeSeriesDataFrameRow[]) =>
      rows.reduce(
        (n, row) =>
          n +
          Object.entries(row).filter(([k, v]) => k !== "step" && k !== "wall_time" && v !== undefined).length,
        0,
      );
    for (const rows of pieces) expect(pointsOf(rows)).toBeLessThan(EXPORT_WINDOW_POINTS * 1.2);
    const all = pieces.flat();
    const frame = await run.getTimeSeriesDataFrame();
    expect(all.length).toBe(frame.length);
    expect(all).toEqual(frame);
  });

  it("reads a short run at once", async () => {
    const backend = createMemoryBackend();
    const run = await ExperimentRun.create("short", { backend, experiment: "windows" });
    await run.logTimeSeriesMetrics({ loss: 1 }, { step: 1 });
    const pieces = [];
    for await (const rows of runRows(run)) pieces.push(rows);
    expect(pieces).toEqual([await run.getTimeSeriesDataFrame()]);
  });
});
