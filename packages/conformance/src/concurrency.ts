import { ExperimentRun } from "@exprun/core";
import { expect } from "vitest";
import type { SuiteContext } from "./context.js";

export function concurrencyTests(ctx: SuiteContext): void {
  ctx.it(
    "200 concurrent logParams and 200 concurrent logMetrics with distinct keys on one run all survive",
    async () => {
      const run = await ctx.run();
      // Separate objects, as separate workers would have.
      const handles = await Promise.all(
        Array.from({ length: 8 }, () =>
          ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend }),
        ),
      );
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const handle = handles[i % handles.length]!;
          return Promise.all([
            handle.logParams({ [`p${i}`]: i }),
            handle.logMetrics({ [`m${i}`]: -(i + 1) }),
          ]);
        }),
      );
      const params = await run.getParams();
      const metrics = await run.getMetrics();
      expect(Object.keys(params)).toHaveLength(200);
      expect(Object.keys(metrics)).toHaveLength(200);
      for (let i = 0; i < 200; i++) {
        expect(params[`p${i}`]).toBe(i);
        expect(metrics[`m${i}`]).toBe(-(i + 1));
      }
    },
    ctx.heavyTimeout,
  );

  ctx.it("concurrent state updates and params do not undo each other", async () => {
    const run = await ctx.run();
    await Promise.all([run.logParams({ a: 1 }), run.updateState("FAILED"), run.logParams({ b: 2 })]);
    expect(await run.getParams()).toEqual({ a: 1, b: 2 });
    expect(await run.getState()).toBe("FAILED");
  });

  ctx.it("concurrent time-series writers to one run lose no point", async () => {
    const run = await ctx.run();
    const handles = await Promise.all(
      Array.from({ length: 4 }, () =>
        ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend }),
      ),
    );
    await Promise.all(
      handles.map(async (handle, w) => {
        for (let i = 0; i < 250; i++) await handle.logTimeSeriesMetrics({ [`w${w}`]: i }, { step: i });
        await handle.flush();
      }),
    );
    const rows = await run.getTimeSeriesDataFrame();
    for (let w = 0; w < 4; w++) expect(rows.filter((r) => r[`w${w}`] !== undefined)).toHaveLength(250);
  });

  ctx.it("concurrent run creation in one experiment keeps every run", async () => {
    const exp = await ctx.experiment();
    await Promise.all(Array.from({ length: 50 }, (_, i) => ctx.run(exp, `c-${i}`)));
    expect(await ExperimentRun.list({ experiment: exp.name, backend: ctx.backend })).toHaveLength(50);
  });
}
