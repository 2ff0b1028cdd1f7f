import { ExperimentRun, RUN_STATES } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function runLifecycleTests(ctx: SuiteContext): void {
  ctx.it("a new run is RUNNING with empty params and metrics", async () => {
    const run = await ctx.run();
    expect(run.state).toBe("RUNNING");
    const again = await ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend });
    expect(again.state).toBe("RUNNING");
    expect(await again.getParams()).toEqual({});
    expect(await again.getMetrics()).toEqual({});
  });

  ctx.it("create accepts an initial state", async () => {
    const run = await ctx.run(undefined, undefined, { state: "NEW" });
    expect(await run.getState()).toBe("NEW");
  });

  ctx.it("a run names itself like Vertex: resourceId is {experiment}-{run}", async () => {
    const exp = await ctx.experiment();
    const run = await ctx.run(exp, "my-run-1");
    expect(run.name).toBe("my-run-1");
    expect(run.experiment).toBe(exp.name);
    expect(run.resourceId).toBe(`${exp.name}-my-run-1`);
    expect(run.resourceName).toBe(
      `projects/${run.project}/locations/${run.location}/metadataStores/default/contexts/${exp.name}-my-run-1`,
    );
    expect(typeof run.project).toBe("string");
    expect(typeof run.location).toBe("string");
  });

  ctx.it("creating a run that exists rejects with ALREADY_EXISTS", async () => {
    const run = await ctx.run();
    await expectCode(ctx.run(run.experiment, run.name), "ALREADY_EXISTS");
  });

  ctx.it("of racing creators of one run exactly one wins", async () => {
    const exp = await ctx.experiment();
    const name = ctx.unique("race");
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => ctx.run(exp, name)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as { code?: string }).code).toBe("ALREADY_EXISTS");
    }
  });

  ctx.it("getting a missing run rejects with NOT_FOUND", async () => {
    const exp = await ctx.experiment();
    await expectCode(ExperimentRun.get("nope", { experiment: exp.name, backend: ctx.backend }), "NOT_FOUND");
  });

  ctx.it("creating a run creates its experiment on first use", async () => {
    const name = ctx.unique("auto");
    const run = await ctx.run(name);
    expect(run.experiment).toBe(name);
    expect(await ExperimentRun.list({ experiment: name, backend: ctx.backend })).toHaveLength(1);
  });

  ctx.it("any state may follow any state", async () => {
    const run = await ctx.run();
    for (const state of [...RUN_STATES, ...[...RUN_STATES].reverse()]) {
      await run.updateState(state);
      expect(run.state).toBe(state);
      expect(await run.getState()).toBe(state);
    }
  });

  ctx.it("endRun sets COMPLETE by default, or the state given", async () => {
    const a = await ctx.run();
    await a.endRun();
    expect(await a.getState()).toBe("COMPLETE");
    const b = await ctx.run();
    await b.endRun({ state: "FAILED" });
    expect(await b.getState()).toBe("FAILED");
  });

  ctx.it("logging to an ended run is allowed", async () => {
    const run = await ctx.run();
    await run.endRun();
    await run.logParams({ late: 1 });
    await run.logMetrics({ late: 2 });
    expect(await run.getParams()).toEqual({ late: 1 });
    expect(await run.getMetrics()).toEqual({ late: 2 });
  });

  ctx.it("another object for the same run sees this one's writes", async () => {
    const run = await ctx.run();
    const other = await ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend });
    await run.logParams({ lr: 0.1 });
    await run.updateState("FAILED");
    expect(await other.getParams()).toEqual({ lr: 0.1 });
    expect(await other.getState()).toBe("FAILED");
  });

  ctx.it("await using ends a still-running run COMPLETE", async () => {
    let name = "";
    let experiment = "";
    {
      await using run = await ctx.run();
      name = run.name;
      experiment = run.experiment;
      await run.logMetrics({ acc: 1 });
    }
    const run = await ExperimentRun.get(name, { experiment, backend: ctx.backend });
    expect(run.state).toBe("COMPLETE");
  });

  ctx.it("await using leaves an already-ended run's state alone", async () => {
    let name = "";
    let experiment = "";
    {
      await using run = await ctx.run();
      name = run.name;
      experiment = run.experiment;
      await run.endRun({ state: "CANCELLED" });
    }
    expect((await ExperimentRun.get(name, { experiment, backend: ctx.backend })).state).toBe("CANCELLED");
  });
}
