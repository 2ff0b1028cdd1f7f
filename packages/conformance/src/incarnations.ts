import type { CheckedBackend, RunChild, RunRef } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";
import { readPoints, stepWrites } from "./points.js";
import { expectStaleAppendRefused } from "./stale-writes.js";

const child = (ctx: SuiteContext): RunChild => ({
  schemaTitle: "system.PipelineRun",
  resourceName: `projects/p/locations/l/pipelineJobs/${ctx.unique("job")}`,
  displayName: "job",
});

/** The run of `ref` is empty and untouched: what a fresh run holds (plus its TensorBoard run). */
export async function expectUntouched(backend: CheckedBackend, ref: RunRef): Promise<void> {
  const record = await backend.getRun(ref);
  expect(record, "the newer run still exists").toBeDefined();
  expect(record).toMatchObject({
    incarnation: ref.incarnation,
    state: "RUNNING",
    params: {},
    metrics: {},
    tags: {},
    description: "",
  });
  expect(await readPoints(backend, ref), "the newer run's time series").toEqual([]);
  expect(await backend.listRunChildren(ref)).toEqual([]);
  expect((await backend.listArtifacts({ run: ref })).items).toEqual([]);
  expect((await backend.listExecutions({ run: ref })).items).toEqual([]);
}

export function incarnationTests(ctx: SuiteContext): void {
  ctx.it(
    "every creation of a run name gets a new incarnation, and every read reports the current one",
    async () => {
      const backend = await ctx.fresh();
      const first = await ctx.createRun(backend);
      expect(typeof first.record.incarnation).toBe("string");
      expect(first.record.incarnation).not.toBe("");
      const plain = { experiment: first.ref.experiment, run: first.ref.run };
      expect((await backend.getRun(plain))?.incarnation).toBe(first.record.incarnation);
      const updated = await backend.updateRun(first.ref, { params: { a: 1 } });
      expect(updated.incarnation).toBe(first.record.incarnation);
      const seen = [first.record.incarnation];
      let current = first;
      for (let i = 0; i < 2; i++) {
        current = await ctx.recreateRun(backend, current.ref);
        seen.push(current.record.incarnation);
        expect((await backend.getRun(plain))?.incarnation).toBe(current.record.incarnation);
        const listed = (await backend.listRuns(plain.experiment)).items.map((r) => [r.name, r.incarnation]);
        expect(listed).toEqual([[plain.run, current.record.incarnation]]);
      }
      expect(new Set(seen).size).toBe(3);
    },
  );

  ctx.it("a RunRef with an older incarnation reads as missing", async () => {
    const backend = await ctx.fresh();
    const { ref: old } = await ctx.createRun(backend);
    await backend.updateRun(old, { params: { old: 1 } });
    await backend.appendTimeSeries(old, stepWrites(["old"], 1, 5));
    await backend.addRunChildren(old, [child(ctx)]);
    await backend.flush();
    const { ref: now } = await ctx.recreateRun(backend, old);
    await backend.appendTimeSeries(now, stepWrites(["new"], 1, 2));
    await backend.flush();

    expect(await backend.getRun(old)).toBeUndefined();
    await expectCode(readPoints(backend, old), "NOT_FOUND");
    await expectCode(backend.latestTimeSeries(old), "NOT_FOUND");
    await expectCode(backend.listRunChildren(old), "NOT_FOUND");
    await expectCode(backend.listArtifacts({ run: old }), "NOT_FOUND");
    await expectCode(backend.listExecutions({ run: old }), "NOT_FOUND");
    // The name alone, and the current incarnation, address the newer run.
    expect((await backend.getRun({ experiment: old.experiment, run: old.run }))?.params).toEqual({});
    expect((await readPoints(backend, now)).map((p) => p.metric)).toEqual(["new", "new"]);
  });

  ctx.it(
    "a write with an older incarnation rejects NOT_FOUND and changes nothing in the newer run",
    async () => {
      const backend = await ctx.fresh();
      const { ref: old } = await ctx.createRun(backend);
      const { ref: now } = await ctx.recreateRun(backend, old);
      const artifact = await backend.createArtifact({ schemaTitle: "system.Artifact" });
      const execution = await backend.createExecution({ schemaTitle: "system.Run" });
      const tensorboard = ctx.tensorboard ?? "projects/p/locations/l/tensorboards/stale";

      await expectCode(
        backend.updateRun(old, {
          params: { stale: 1 },
          metrics: { stale: 1 },
          tags: { stale: "1" },
          description: "stale",
          state: "FAILED",
        }),
        "NOT_FOUND",
        old.run,
      );
      await expectCode(
        backend.attributeToRun(old, { artifacts: [artifact.id], executions: [execution.id] }),
        "NOT_FOUND",
      );
      await expectCode(backend.addRunChildren(old, [child(ctx)]), "NOT_FOUND");
      await expectCode(backend.assignRunTensorboard(old, tensorboard), "NOT_FOUND");
      await expectCode(backend.deleteRun(old, { deleteBackingTensorboardRun: true }), "NOT_FOUND");
      await expectStaleAppendRefused(backend, old, stepWrites(["stale"], 1, 20));
      await expectUntouched(backend, now);
    },
  );
}
