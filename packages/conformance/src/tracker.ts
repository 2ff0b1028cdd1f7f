import {
  ExperimentRun,
  endRun,
  getCurrentRun,
  getExperimentDataFrame,
  init,
  logClassificationMetrics,
  logMetrics,
  logParams,
  logTimeSeriesMetrics,
  resetDefaults,
  startRun,
  withRun,
} from "@exprun/core";
import { afterEach, beforeEach, expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function trackerTests(ctx: SuiteContext): void {
  let experiment = "";
  beforeEach(() => {
    resetDefaults();
    experiment = ctx.unique("tracked");
    init({
      experiment,
      backend: ctx.backend,
      ...(ctx.tensorboard ? { experimentTensorboard: ctx.tensorboard } : {}),
    });
  });
  afterEach(() => resetDefaults());

  const reopen = (name: string) => ExperimentRun.get(name, { experiment, backend: ctx.backend });

  ctx.it(
    "init's experiment is created on first use, and the module functions log to the current run",
    async () => {
      const run = await startRun("first");
      expect(getCurrentRun()).toBe(run);
      await logParams({ lr: 0.01 });
      await logMetrics({ acc: 0.5 });
      await logTimeSeriesMetrics({ loss: 1 });
      await logClassificationMetrics({ labels: ["a"], matrix: [[1]] });
      await endRun();
      expect(getCurrentRun()).toBeUndefined();
      const back = await reopen("first");
      expect(back.state).toBe("COMPLETE");
      expect(await back.getParams()).toEqual({ lr: 0.01 });
      expect((await back.getTimeSeriesDataFrame()).map((r) => r.step)).toEqual([1]);
      const rows = await getExperimentDataFrame();
      expect(rows.map((r) => r.run_name)).toEqual(["first"]);
    },
  );

  ctx.it("starting a run ends the current one COMPLETE", async () => {
    await startRun("one");
    await startRun("two");
    expect((await reopen("one")).state).toBe("COMPLETE");
    expect((await reopen("two")).state).toBe("RUNNING");
    await endRun();
  });

  ctx.it("resume continues a run: params kept, state RUNNING; it never creates", async () => {
    await startRun("resumable");
    await logParams({ kept: 1 });
    await endRun({ state: "FAILED" });
    const resumed = await startRun("resumable", { resume: true });
    expect(resumed.state).toBe("RUNNING");
    expect(await resumed.getParams()).toEqual({ kept: 1 });
    await endRun();
    await expectCode(startRun("never-created", { resume: true }), "NOT_FOUND");
  });

  ctx.it("withRun ends the run FAILED and rethrows when the callback throws", async () => {
    const boom = new Error("boom");
    await expect(
      withRun("fails", async () => {
        await logParams({ before: 1 });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect((await reopen("fails")).state).toBe("FAILED");
    expect(getCurrentRun()).toBeUndefined();
  });

  ctx.it("withRun ends the run COMPLETE and returns the callback's value", async () => {
    const value = await withRun("works", async (run) => {
      await run.logMetrics({ m: 1 });
      return 42;
    });
    expect(value).toBe(42);
    expect((await reopen("works")).state).toBe("COMPLETE");
  });

  ctx.it("logging without a current run names the fix", async () => {
    await expectCode(logParams({ a: 1 }), "VALIDATION", /startRun/);
    resetDefaults();
    await expectCode(logMetrics({ a: 1 }), "VALIDATION", /init/);
    await expectCode(startRun("x", { backend: ctx.backend }), "VALIDATION", /No experiment set/);
  });

  ctx.it("a per-call experiment overrides init's", async () => {
    const other = ctx.unique("other");
    const run = await startRun("elsewhere", { experiment: other });
    expect(run.experiment).toBe(other);
    await endRun();
    expect((await ExperimentRun.get("elsewhere", { experiment: other, backend: ctx.backend })).state).toBe(
      "COMPLETE",
    );
  });
}
