import { type CheckedBackend, CONTRACT_METHODS } from "@exprun/core";
import { expect } from "vitest";
import { outcome, requireHook, type SuiteContext } from "./context.js";
import { appendAll, expectSamePoints, pointsOfWrites, readPoints, stepWrites } from "./points.js";

export function closedStateTests(ctx: SuiteContext): void {
  ctx.it(
    "after close(), every method rejects with code CLOSED naming the store, and close() again resolves",
    async () => {
      const backend = await ctx.fresh();
      const { ref } = await ctx.createRun(backend);
      const artifact = await backend.createArtifact({ schemaTitle: "system.Artifact" });
      const execution = await backend.createExecution({ schemaTitle: "system.Run" });
      await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { x: 1 } }]);
      await backend.close();
      expect(backend.closed).toBe(true);

      const tensorboard = ctx.tensorboard ?? "projects/p/locations/l/tensorboards/1";
      const calls: Record<(typeof CONTRACT_METHODS)[number], () => Promise<unknown>> = {
        createExperiment: () => backend.createExperiment({ name: ctx.unique("exp") }),
        getExperiment: () => backend.getExperiment(ref.experiment),
        listExperiments: () => backend.listExperiments(),
        updateExperiment: () => backend.updateExperiment(ref.experiment, { description: "late" }),
        deleteExperiment: () =>
          backend.deleteExperiment(ref.experiment, { deleteBackingTensorboardRuns: false }),
        createRun: () => backend.createRun(ref.experiment, { name: ctx.unique("run"), state: "RUNNING" }),
        getRun: () => backend.getRun(ref),
        listRuns: () => backend.listRuns(ref.experiment),
        updateRun: () => backend.updateRun(ref, { params: { late: 1 } }),
        deleteRun: () => backend.deleteRun(ref, { deleteBackingTensorboardRun: false }),
        assignRunTensorboard: () => backend.assignRunTensorboard(ref, tensorboard),
        appendTimeSeries: () => backend.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { x: 2 } }]),
        readSeries: async () => {
          for await (const _ of backend.readSeries(ref)) break;
        },
        latestTimeSeries: () => backend.latestTimeSeries(ref),
        createArtifact: () => backend.createArtifact({ schemaTitle: "system.Artifact" }),
        getArtifact: () => backend.getArtifact(artifact.id),
        listArtifacts: () => backend.listArtifacts(),
        createExecution: () => backend.createExecution({ schemaTitle: "system.Run" }),
        getExecution: () => backend.getExecution(execution.id),
        listExecutions: () => backend.listExecutions(),
        updateExecution: () => backend.updateExecution(execution.id, { state: "COMPLETE" }),
        addExecutionEvents: () => backend.addExecutionEvents(execution.id, { inputs: [artifact.id] }),
        attributeToRun: () => backend.attributeToRun(ref, { artifacts: [artifact.id] }),
        addRunChildren: () =>
          backend.addRunChildren(ref, [
            {
              schemaTitle: "system.PipelineRun",
              resourceName: `pipelineJobs/${ctx.unique("job")}`,
              displayName: "",
            },
          ]),
        listRunChildren: () => backend.listRunChildren(ref),
        flush: () => backend.flush(),
      };
      const refused: Record<string, unknown> = {};
      for (const method of CONTRACT_METHODS) {
        const error = await outcome(calls[method]());
        refused[method] = {
          code: (error as { code?: string } | undefined)?.code,
          backend: (error as { backend?: string } | undefined)?.backend,
        };
      }
      expect(refused).toEqual(
        Object.fromEntries(CONTRACT_METHODS.map((m) => [m, { code: "CLOSED", backend: backend.name }])),
      );
      await expect(backend.close()).resolves.toBeUndefined();
      await expect(backend.close()).resolves.toBeUndefined();
    },
  );

  ctx.it("close() makes buffered writes durable: a second instance reads every point", async (test) => {
    requireHook(test, ctx, "openSecond");
    const backend = await ctx.fresh();
    const { ref } = await ctx.createRun(backend);
    const writes = stepWrites(["loss", "acc"], 0, 600);
    await appendAll(backend, ref, writes, 7);
    await backend.updateRun(ref, { params: { done: true } });
    await backend.close();
    const other = await ctx.second(backend);
    expectSamePoints(await readPoints(other, ref), pointsOfWrites(writes));
    expect((await other.getRun(ref))?.params).toEqual({ done: true });
  });

  ctx.it("a write made before close() is called is durable once close() resolves", async (test) => {
    requireHook(test, ctx, "openSecond");
    const backend = await ctx.fresh();
    const { ref } = await ctx.createRun(backend);
    const writes = stepWrites(["late"], 1, 50);
    const appending = backend.appendTimeSeries(ref, writes);
    const updating = backend.updateRun(ref, { params: { late: 1 } });
    const closing = backend.close();
    await Promise.all([appending, updating, closing]);
    const other = await ctx.second(backend);
    expectSamePoints(await readPoints(other, ref), pointsOfWrites(writes));
    expect((await other.getRun(ref))?.params).toEqual({ late: 1 });
  });

  ctx.it("closing one instance leaves another instance on the same store working", async (test) => {
    requireHook(test, ctx, "openSecond");
    const first: CheckedBackend = await ctx.fresh();
    const second = await ctx.second(first);
    const { ref } = await ctx.createRun(first);
    await first.close();
    await second.updateRun(ref, { params: { after: "close" } });
    await second.appendTimeSeries(ref, [{ step: 1, wallTime: 10, values: { x: 1 } }]);
    await second.flush();
    expect((await second.getRun(ref))?.params).toEqual({ after: "close" });
    expect(await readPoints(second, ref)).toEqual([{ metric: "x", step: 1, wallTime: 10, value: 1 }]);
  });
}
