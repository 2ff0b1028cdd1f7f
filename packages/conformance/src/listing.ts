import { ExperimentRun } from "@exprun/core";
import { expect } from "vitest";
import { inBatches, type SuiteContext } from "./context.js";

export function listingTests(ctx: SuiteContext): void {
  ctx.it(
    "1,000 runs are listed exactly once across pages, in creation order, with params and metrics",
    async () => {
      const exp = await ctx.experiment();
      const names = Array.from({ length: 1000 }, (_, i) => `run-${String(i).padStart(4, "0")}`);
      // Created in order (creation order is observable), logged concurrently.
      for (let i = 0; i < names.length; i += 50) {
        await Promise.all(names.slice(i, i + 50).map((n) => ctx.run(exp, n)));
      }
      await inBatches(names.length, 25, async (i) => {
        const run = await ExperimentRun.get(names[i]!, { experiment: exp.name, backend: ctx.backend });
        await run.logParams({ index: i, parity: i % 2 === 0 ? "even" : "odd" });
        await run.logMetrics({ score: i / 1000 });
      });

      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await ctx.backend.listRuns(exp.name, { pageSize: 100, pageToken });
        expect(page.items.length).toBeLessThanOrEqual(100);
        seen.push(...page.items.map((r) => r.name));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken && pages < 1000);
      expect(seen).toHaveLength(1000);
      expect(new Set(seen).size).toBe(1000);
      expect([...seen].sort()).toEqual(names);

      const runs = await ExperimentRun.list({ experiment: exp.name, backend: ctx.backend });
      expect(runs).toHaveLength(1000);
      const byName = new Map(runs.map((r) => [r.name, r.toJSON()]));
      expect(byName.get("run-0999")).toMatchObject({
        params: { index: 999, parity: "odd" },
        metrics: { score: 0.999 },
        state: "RUNNING",
      });

      const rows = await exp.getDataFrame();
      expect(rows).toHaveLength(1000);
      const row = rows.find((r) => r.run_name === "run-0042")!;
      expect(row).toMatchObject({
        experiment_name: exp.name,
        run_type: "system.ExperimentRun",
        state: "RUNNING",
        "param.index": 42,
        "param.parity": "even",
        "metric.score": 0.042,
      });
    },
    ctx.heavyTimeout * 2,
  );

  ctx.it("the experiment DataFrame has Python's columns in Python's order", async () => {
    const exp = await ctx.experiment();
    const a = await ctx.run(exp, "a");
    const b = await ctx.run(exp, "b");
    await a.logParams({ lr: 0.1 });
    await a.logMetrics({ acc: 0.9 });
    await b.logParams({ batch: 32 });
    await b.logMetrics({ loss: 0.3 });
    await b.logTimeSeriesMetrics({ curve: 1 }, { step: 1 });
    await b.flush();
    const rows = await exp.getDataFrame();
    expect(Object.keys(rows[0]!)).toEqual([
      "experiment_name",
      "run_name",
      "run_type",
      "state",
      "param.lr",
      "param.batch",
      "metric.acc",
      "metric.loss",
      "time_series_metric.curve",
    ]);
    const rowA = rows.find((r) => r.run_name === "a")!;
    expect(rowA["param.batch"]).toBeNull();
    expect(rowA["time_series_metric.curve"]).toBeNull();
  });

  ctx.it("an empty experiment has an empty DataFrame and no runs", async () => {
    const exp = await ctx.experiment();
    expect(await exp.getDataFrame()).toEqual([]);
    expect(await ExperimentRun.list({ experiment: exp.name, backend: ctx.backend })).toEqual([]);
  });
}
