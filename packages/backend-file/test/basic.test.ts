import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";

describe("file backend basics", () => {
  it("round-trips an experiment, a run, params, metrics and time series", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "exp", description: "d" });
    await backend.createRun("exp", { name: "r1", state: "RUNNING" });
    await backend.updateRun({ experiment: "exp", run: "r1" }, { params: { lr: 0.1, opt: "sgd" } });
    await backend.updateRun({ experiment: "exp", run: "r1" }, { metrics: { acc: Number.NaN, flag: true } });
    await backend.appendTimeSeries({ experiment: "exp", run: "r1" }, [
      { step: 1, wallTime: 10, values: { loss: 1, acc: 0.5 } },
      { step: 2, wallTime: 20, values: { loss: Number.POSITIVE_INFINITY } },
    ]);
    await backend.close();

    const again = createFileBackend({ root });
    const run = await again.getRun({ experiment: "exp", run: "r1" });
    expect(run?.params).toEqual({ lr: 0.1, opt: "sgd" });
    expect(run?.metrics).toEqual({ acc: Number.NaN, flag: true });
    const points = await readSeriesPoints(again, { experiment: "exp", run: "r1" });
    // per metric in write order, metrics in the order their series were created
    expect(points).toEqual([
      { metric: "loss", step: 1, wallTime: 10, value: 1 },
      { metric: "loss", step: 2, wallTime: 20, value: Number.POSITIVE_INFINITY },
      { metric: "acc", step: 1, wallTime: 10, value: 0.5 },
    ]);
    const listed = await again.listRuns("exp", { withLatestTimeSeries: true });
    expect(listed.items[0]?.latestTimeSeries?.loss?.step).toBe(2);
    await again.close();
  });
});
