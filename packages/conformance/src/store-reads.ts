import type { RunChild } from "@exprun/core";
import { expect } from "vitest";
import type { SuiteContext } from "./context.js";
import { appendAll, expectSamePoints, pointsOfWrites, readPoints, stepWrites } from "./points.js";

export function storeReadTests(ctx: SuiteContext): void {
  ctx.it("readSeries with metrics and steps delivers exactly the points asked for", async () => {
    const backend = ctx.backend;
    const { ref } = await ctx.createRun(backend);
    const writes = stepWrites(["a", "b", "c"], 0, 100);
    await appendAll(backend, ref, writes, 25);
    const all = pointsOfWrites(writes);
    const cases = [
      {
        query: { metrics: ["a", "c"], steps: { from: 10, to: 20 } },
        keep: (m: string, s: number) => m !== "b" && s >= 10 && s <= 20,
      },
      { query: { metrics: ["b"] }, keep: (m: string) => m === "b" },
      { query: { steps: { from: 95 } }, keep: (_m: string, s: number) => s >= 95 },
      { query: { steps: { to: 2 } }, keep: (_m: string, s: number) => s <= 2 },
      { query: { steps: { from: 7, to: 7 } }, keep: (_m: string, s: number) => s === 7 },
      { query: { steps: { from: 500 } }, keep: () => false },
      { query: { metrics: [] as string[] }, keep: () => false },
    ];
    for (const { query, keep } of cases) {
      expectSamePoints(
        await readPoints(backend, ref, query),
        all.filter((p) => keep(p.metric, p.step)),
        `readSeries(${JSON.stringify(query)})`,
      );
    }
  });

  ctx.it(
    "listRunChildren filters by schema title and keeps the order children were first added",
    async () => {
      const backend = ctx.backend;
      const { ref } = await ctx.createRun(backend);
      const child = (schemaTitle: string, label: string): RunChild => ({
        schemaTitle,
        resourceName: `projects/p/locations/l/pipelineJobs/${ctx.unique(label)}`,
        displayName: label,
      });
      const p1 = child("system.PipelineRun", "p1");
      const other = child("test.Other", "other");
      const p2 = child("system.PipelineRun", "p2");
      await backend.addRunChildren(ref, [p1, other]);
      await backend.addRunChildren(ref, [p1, p2]);
      const names = (children: RunChild[]) => children.map((c) => c.resourceName);
      expect(names(await backend.listRunChildren(ref))).toEqual([p1, other, p2].map((c) => c.resourceName));
      expect(names(await backend.listRunChildren(ref, { schemaTitle: "system.PipelineRun" }))).toEqual([
        p1.resourceName,
        p2.resourceName,
      ]);
      expect(await backend.listRunChildren(ref, { schemaTitle: "test.Nothing" })).toEqual([]);
      expect((await backend.listRunChildren(ref, { schemaTitle: "test.Other" }))[0]).toMatchObject({
        schemaTitle: "test.Other",
        displayName: "other",
      });
    },
  );

  ctx.it("records returned are fresh copies: changing them changes nothing stored", async () => {
    const backend = ctx.backend;
    const { record, ref } = await ctx.createRun(backend);
    await backend.updateRun(ref, { params: { p: 1 }, metrics: { m: 1 }, tags: { t: "1" } });
    await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 5, values: { x: 1 } }]);
    const artifact = await backend.createArtifact({
      schemaTitle: "system.Model",
      metadata: { nested: { a: [1] } },
    });
    const execution = await backend.createExecution({ schemaTitle: "system.Run", metadata: { k: { v: 1 } } });
    await backend.addExecutionEvents(execution.id, { inputs: [artifact.id] });
    await backend.attributeToRun(ref, { artifacts: [artifact.id], executions: [execution.id] });
    await backend.addRunChildren(ref, [
      {
        schemaTitle: "system.PipelineRun",
        resourceName: `pipelineJobs/${ctx.unique("j")}`,
        displayName: "j",
        metadata: { a: { b: 1 } },
      },
    ]);

    const vandalise = (value: unknown): void => {
      if (Array.isArray(value)) {
        for (const item of value) vandalise(item);
        value.push("vandal");
      } else if (typeof value === "object" && value !== null) {
        for (const key of Object.keys(value)) {
          vandalise((value as Record<string, unknown>)[key]);
          if (typeof (value as Record<string, unknown>)[key] !== "object")
            (value as Record<string, unknown>)[key] = "vandal";
        }
        (value as Record<string, unknown>).vandal = true;
      }
    };
    await backend.flush();
    const ids = { artifact: artifact.id, execution: execution.id };
    const snapshot = async () => ({
      run: await backend.getRun(ref),
      runs: (await backend.listRuns(ref.experiment, { withLatestTimeSeries: true })).items,
      experiment: await backend.getExperiment(ref.experiment),
      artifact: await backend.getArtifact(ids.artifact),
      artifacts: (await backend.listArtifacts({ run: ref })).items,
      execution: await backend.getExecution(ids.execution),
      executions: (await backend.listExecutions({ run: ref })).items,
      children: await backend.listRunChildren(ref),
      latest: await backend.latestTimeSeries(ref),
      points: await readPoints(backend, ref),
    });
    const before = structuredClone(await snapshot());
    vandalise(record);
    vandalise(artifact);
    vandalise(execution);
    vandalise(await backend.updateRun(ref, { params: { q: 2 } }));
    before.run!.params.q = 2;
    for (const run of before.runs) if (run.name === ref.run) run.params.q = 2;
    const returned = await snapshot();
    vandalise(returned);
    const after = await snapshot();
    // Update times moved with the update above; everything else is as stored.
    for (const s of [before, after]) {
      delete (s.run as { updateTime?: number }).updateTime;
      for (const r of s.runs) delete (r as { updateTime?: number }).updateTime;
    }
    expect(after).toEqual(before);
  });

  ctx.it(
    "latestTimeSeries is each metric's largest step, ties to the last written, in series creation order",
    async () => {
      const backend = ctx.backend;
      const { ref } = await ctx.createRun(backend);
      await backend.appendTimeSeries(ref, [
        { step: 5, wallTime: 100, values: { zeta: 1 } },
        { step: 3, wallTime: 100, values: { alpha: 1 } },
      ]);
      await backend.appendTimeSeries(ref, [
        { step: 5, wallTime: 50, values: { zeta: 2 } },
        { step: 2, wallTime: 900, values: { zeta: 3 } },
        { step: 3, wallTime: 10, values: { alpha: 9 } },
      ]);
      const latest = await backend.latestTimeSeries(ref);
      expect(Object.keys(latest)).toEqual(["zeta", "alpha"]);
      expect(latest.zeta).toEqual({ metric: "zeta", step: 5, wallTime: 50, value: 2 });
      expect(latest.alpha).toEqual({ metric: "alpha", step: 3, wallTime: 10, value: 9 });
      await backend.flush();
      const [listed] = (await backend.listRuns(ref.experiment, { withLatestTimeSeries: true })).items;
      expect(listed?.latestTimeSeries).toEqual(latest);
      expect(Object.keys(listed?.latestTimeSeries ?? {})).toEqual(["zeta", "alpha"]);
    },
  );

  ctx.it("readSeries of a missing run rejects NOT_FOUND on the first next(), before any chunk", async () => {
    const backend = ctx.backend;
    const { ref } = await ctx.createRun(backend);
    for (const missing of [
      { experiment: ref.experiment, run: ctx.unique("none") },
      { experiment: ctx.unique("none"), run: "r" },
    ]) {
      const iterator = backend.readSeries(missing)[Symbol.asyncIterator]();
      const first = await iterator.next().then(
        (r) => ({ chunk: r }),
        (e: unknown) => ({ code: (e as { code?: string }).code }),
      );
      expect(first).toEqual({ code: "NOT_FOUND" });
    }
    expectSamePoints(await readPoints(backend, ref), []);
  });

  ctx.it("a missing experiment, run, artifact or execution is NOT_FOUND in core's one wording", async () => {
    // Guards against: each store wording "not found" its own way (`Run "r" not found … Create it first`
    // on one, `Run "r" was not found …` on another), so users and scripts see a different text per store.
    const backend = ctx.backend;
    const { ref } = await ctx.createRun(backend);
    const exp = ctx.unique("none");
    const run = { experiment: ref.experiment, run: ctx.unique("none") };
    const id = ctx.unique("none");
    const expectWording = (message: string) => (e: unknown) => {
      expect((e as { code?: string }).code).toBe("NOT_FOUND");
      expect((e as Error).message).toContain(message);
    };
    const experimentMessage = `Experiment ${JSON.stringify(exp)} was not found.`;
    const runMessage = `Run ${JSON.stringify(run.run)} was not found in experiment ${JSON.stringify(run.experiment)}.`;
    const mustReject = () => expect.fail("expected a NOT_FOUND rejection");
    await backend
      .updateExperiment(exp, { description: "x" })
      .then(mustReject, expectWording(experimentMessage));
    await backend
      .createRun(exp, { name: "r", state: "RUNNING" })
      .then(mustReject, expectWording(experimentMessage));
    await backend.updateRun(run, { params: { a: 1 } }).then(mustReject, expectWording(runMessage));
    await backend.appendTimeSeries(run, [{ step: 1, wallTime: 1, values: { x: 1 } }]).then(async () => {
      await backend.flush(); // a buffering store may report it at the flush
      mustReject();
    }, expectWording(runMessage));
    await backend
      .updateExecution(id, { state: "COMPLETE" })
      .then(mustReject, expectWording(`Execution ${JSON.stringify(id)} was not found.`));
  });

  ctx.it("a reader that stops after the first chunk leaves the store usable", async () => {
    const backend = ctx.backend;
    const { ref } = await ctx.createRun(backend);
    const writes = stepWrites(["a", "b"], 0, 3000);
    await appendAll(backend, ref, writes, 1000);
    await backend.flush();
    for await (const chunk of backend.readSeries(ref)) {
      expect(chunk.steps.length).toBeGreaterThanOrEqual(0);
      break;
    }
    const more = stepWrites(["a"], 3000, 10);
    await backend.appendTimeSeries(ref, more);
    await backend.updateRun(ref, { params: { after: 1 } });
    expectSamePoints(await readPoints(backend, ref), pointsOfWrites([...writes, ...more]));
  });
}
