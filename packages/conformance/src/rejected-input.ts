import { Experiment, ExperimentRun, type Value } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, requireCapability, type SuiteContext } from "./context.js";

export function rejectedInputTests(ctx: SuiteContext): void {
  ctx.it("logParams with one bad value is a TypeError and writes no key", async () => {
    const run = await ctx.run();
    const bad = { good: 1, bad: { nested: true } } as unknown as Record<string, Value>;
    const error = await run.logParams(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { code?: string }).code).toBe("INVALID_TYPE");
    expect((error as Error).message).toMatch(/Value for key bad is of type/);
    expect(await run.getParams()).toEqual({});
  });

  ctx.it("logMetrics rejects null, arrays and undefined values, writing nothing", async () => {
    const run = await ctx.run();
    for (const value of [null, [1], undefined]) {
      await expectCode(
        run.logMetrics({ ok: 1, bad: value } as unknown as Record<string, Value>),
        "INVALID_TYPE",
      );
    }
    expect(await run.getMetrics()).toEqual({});
  });

  ctx.it("non-finite params are refused before writing where the backend cannot keep them", async (test) => {
    requireCapability(test, ctx, "nonFiniteValues", false);
    const run = await ctx.run();
    await expectCode(run.logParams({ ok: 1, bad: Number.NaN }), "VALIDATION", /NaN/);
    await expectCode(run.logMetrics({ inf: Number.POSITIVE_INFINITY }), "VALIDATION");
    expect(await run.getParams()).toEqual({});
    expect(await run.getMetrics()).toEqual({});
  });

  ctx.it("invalid names are refused before an experiment or run is created", async () => {
    for (const name of [
      "Upper",
      "-lead",
      "sp ace",
      "dot.ted",
      "../escape",
      "a/b",
      "",
      "abc",
      "x".repeat(129),
    ]) {
      await expectCode(Experiment.create(name, { backend: ctx.backend }), "VALIDATION");
    }
    const exp = await ctx.experiment();
    for (const name of ["Upper", "_x", "../../etc", "a/b", "é"]) {
      await expectCode(ctx.run(exp, name), "VALIDATION");
    }
    expect(await ExperimentRun.list({ experiment: exp.name, backend: ctx.backend })).toEqual([]);
    const all = (await Experiment.list({ backend: ctx.backend })).map((e) => e.name);
    expect(all.some((n) => n.includes("escape") || n.includes("dot"))).toBe(false);
  });

  ctx.it("{experiment}-{run} longer than 121 characters is refused with Python's message", async () => {
    const exp = await ctx.experiment();
    const name = "r".repeat(121 - exp.name.length);
    await expectCode(ctx.run(exp, name), "VALIDATION", /cannot be greater than 121/);
    expect(await ExperimentRun.list({ experiment: exp.name, backend: ctx.backend })).toEqual([]);
  });

  ctx.it("an unknown state is refused and the state is unchanged", async () => {
    const run = await ctx.run();
    await expectCode(run.updateState("DONE" as never), "VALIDATION", /RUNNING/);
    expect(await run.getState()).toBe("RUNNING");
  });

  ctx.it("bad time-series input writes no point", async () => {
    const run = await ctx.run();
    await expectCode(run.logTimeSeriesMetrics({ ok: 1, bad: "x" as unknown as number }), "INVALID_TYPE");
    await expectCode(run.logTimeSeriesMetrics({ ok: 1 }, { step: -1 }), "VALIDATION");
    await expectCode(run.logTimeSeriesMetrics({ ok: 1 }, { step: 1.5 }), "VALIDATION");
    await expectCode(run.logTimeSeriesMetrics({ ok: 1 }, { wallTime: Number.NaN }), "VALIDATION");
    // A name no read can ask for, and a name a UTF-8 store would change (a lone surrogate → U+FFFD).
    await expectCode(run.logTimeSeriesMetrics({ ok: 1, "": 2 }), "VALIDATION");
    await expectCode(run.logTimeSeriesMetrics({ ok: 1, "loss\ud800": 2 }), "VALIDATION");
    await expectCode(
      ctx.backend.appendTimeSeries(run.ref, [{ step: 1, wallTime: 1, values: { "\udc00": 1 } }]),
      "VALIDATION",
    );
    expect(await run.getTimeSeriesDataFrame()).toEqual([]);
  });

  ctx.it("invalid classification metrics create no artifact", async () => {
    const run = await ctx.run();
    await expectCode(run.logClassificationMetrics({ labels: ["a", "b"], matrix: [[1]] }), "VALIDATION");
    expect(await run.getArtifacts()).toEqual([]);
  });
}
