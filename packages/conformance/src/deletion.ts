import { Experiment, ExperimentRun } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function deletionTests(ctx: SuiteContext): void {
  ctx.it("deleting one run leaves its siblings whole", async () => {
    const exp = await ctx.experiment();
    const doomed = await ctx.run(exp, "doomed");
    const kept = await ctx.run(exp, "kept");
    for (const run of [doomed, kept]) {
      await run.logParams({ who: run.name });
      await run.logMetrics({ m: 1 });
      await run.logTimeSeriesMetrics({ s: 1 }, { step: 1 });
    }
    await doomed.delete();
    await expectCode(
      ExperimentRun.get("doomed", { experiment: exp.name, backend: ctx.backend }),
      "NOT_FOUND",
    );
    const runs = await ExperimentRun.list({ experiment: exp.name, backend: ctx.backend });
    expect(runs.map((r) => r.name)).toEqual(["kept"]);
    expect(await kept.getParams()).toEqual({ who: "kept" });
    expect(await kept.getTimeSeriesDataFrame()).toHaveLength(1);
  });

  ctx.it("a deleted run's name can be used again, starting empty", async () => {
    const exp = await ctx.experiment();
    const first = await ctx.run(exp, "again");
    await first.logParams({ old: true });
    await first.logTimeSeriesMetrics({ s: 1 }, { step: 5 });
    await first.delete({ deleteBackingTensorboardRun: true });
    const second = await ctx.run(exp, "again");
    expect(await second.getParams()).toEqual({});
    expect(await second.getTimeSeriesDataFrame()).toEqual([]);
  });

  ctx.it("deleting an experiment deletes its runs", async () => {
    const exp = await ctx.experiment();
    await ctx.run(exp, "one");
    await ctx.run(exp, "two");
    await exp.delete({ deleteBackingTensorboardRuns: true });
    await expectCode(Experiment.get(exp.name, { backend: ctx.backend }), "NOT_FOUND");
    await expectCode(ExperimentRun.get("one", { experiment: exp.name, backend: ctx.backend }), "NOT_FOUND");
    expect((await Experiment.list({ backend: ctx.backend })).map((e) => e.name)).not.toContain(exp.name);
  });

  ctx.it("deleting one experiment leaves the others", async () => {
    const a = await ctx.experiment();
    const b = await ctx.experiment();
    const run = await ctx.run(b, "stays");
    await run.logParams({ k: 1 });
    await a.delete();
    expect(
      await (await ExperimentRun.get("stays", { experiment: b.name, backend: ctx.backend })).getParams(),
    ).toEqual({
      k: 1,
    });
  });

  ctx.it("a deleted experiment's name can be created again, empty", async () => {
    const exp = await ctx.experiment();
    await ctx.run(exp, "r");
    await exp.delete();
    const again = await Experiment.create(exp.name, { backend: ctx.backend });
    expect(await ExperimentRun.list({ experiment: again.name, backend: ctx.backend })).toEqual([]);
  });
}
