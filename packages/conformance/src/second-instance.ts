import { expect } from "vitest";
import { expectCode, outcome, requireHook, type SuiteContext } from "./context.js";
import { expectUntouched } from "./incarnations.js";
import { appendAll, expectSamePoints, pointsOfWrites, readPoints, stepWrites } from "./points.js";
import { expectStaleAppendRefused } from "./stale-writes.js";

export function secondInstanceTests(ctx: SuiteContext): void {
  ctx.it(
    "a second instance reads the first's acknowledged writes at once, and the first reads the second's",
    async (test) => {
      requireHook(test, ctx, "openSecond");
      const first = await ctx.fresh();
      const second = await ctx.second(first);
      const { ref } = await ctx.createRun(first);
      const artifact = await first.createArtifact({ schemaTitle: "system.Dataset", uri: "s3://b/d" });
      await first.updateRun(ref, {
        params: { lr: 0.1 },
        metrics: { acc: 0.5 },
        tags: { team: "vision" },
        description: "a note",
        state: "FAILED",
      });
      await first.attributeToRun(ref, { artifacts: [artifact.id] });
      const job = {
        schemaTitle: "system.PipelineRun",
        resourceName: `pipelineJobs/${ctx.unique("job")}`,
        displayName: "j",
      };
      await first.addRunChildren(ref, [job]);

      expect(await second.getRun(ref)).toMatchObject({
        incarnation: ref.incarnation,
        params: { lr: 0.1 },
        metrics: { acc: 0.5 },
        tags: { team: "vision" },
        description: "a note",
        state: "FAILED",
      });
      expect((await second.listRuns(ref.experiment)).items.map((r) => r.name)).toEqual([ref.run]);
      expect((await second.listArtifacts({ run: ref })).items.map((a) => a.id)).toEqual([artifact.id]);
      expect((await second.listRunChildren(ref)).map((c) => c.resourceName)).toEqual([job.resourceName]);

      await second.updateRun(ref, { params: { batch: 32 }, tags: { team: null } });
      expect(await first.getRun(ref)).toMatchObject({ params: { lr: 0.1, batch: 32 }, tags: {} });
    },
  );

  ctx.it(
    "a run deleted by another instance: writes to it reject NOT_FOUND, reads find nothing, nothing brings it back",
    async (test) => {
      requireHook(test, ctx, "openSecond");
      const first = await ctx.fresh();
      const second = await ctx.second(first);
      const { ref } = await ctx.createRun(first);
      await first.appendTimeSeries(ref, stepWrites(["x"], 1, 3));
      await first.flush();
      await second.deleteRun(ref, { deleteBackingTensorboardRun: true });

      const plain = { experiment: ref.experiment, run: ref.run };
      expect(await first.getRun(ref)).toBeUndefined();
      expect(await first.getRun(plain)).toBeUndefined();
      await expectCode(first.updateRun(ref, { params: { late: 1 } }), "NOT_FOUND", ref.run);
      await expectCode(first.updateRun(plain, { state: "COMPLETE" }), "NOT_FOUND", ref.run);
      await expectCode(
        first.addRunChildren(ref, [
          {
            schemaTitle: "system.PipelineRun",
            resourceName: `pipelineJobs/${ctx.unique("job")}`,
            displayName: "",
          },
        ]),
        "NOT_FOUND",
      );
      await expectCode(readPoints(first, ref), "NOT_FOUND");
      await expectStaleAppendRefused(first, ref, stepWrites(["x"], 10, 5));
      await expectStaleAppendRefused(first, plain, stepWrites(["x"], 20, 5));

      expect(await second.getRun(plain)).toBeUndefined();
      expect((await second.listRuns(ref.experiment)).items).toEqual([]);
      expect((await first.listRuns(ref.experiment)).items).toEqual([]);
    },
  );

  ctx.it(
    "a run deleted and re-created by another instance: the first's late writes reject NOT_FOUND and never reach the new run",
    async (test) => {
      requireHook(test, ctx, "openSecond");
      const first = await ctx.fresh();
      const second = await ctx.second(first);
      const { ref: old } = await ctx.createRun(first);
      await first.updateRun(old, { params: { old: 1 } });
      await appendAll(first, old, stepWrites(["old"], 1, 100), 10); // acknowledged, maybe still buffered
      const { ref: now } = await ctx.recreateRun(second, old);

      await expectCode(
        first.updateRun(old, { params: { late: 1 }, tags: { late: "1" } }),
        "NOT_FOUND",
        old.run,
      );
      await expectStaleAppendRefused(first, old, stepWrites(["old"], 101, 50));
      await expectUntouched(second, now);
      await expectUntouched(first, now);
      // The first instance addresses the newer run by name alone too, and writes there.
      const plain = { experiment: old.experiment, run: old.run };
      expect((await first.getRun(plain))?.incarnation).toBe(now.incarnation);
      await first.appendTimeSeries(plain, stepWrites(["new"], 1, 3));
      await first.flush();
      expectSamePoints(await readPoints(second, now), pointsOfWrites(stepWrites(["new"], 1, 3)));
    },
  );

  ctx.it(
    "points still buffered for a run re-created by another instance are refused at close() and never reach the new run",
    async (test) => {
      requireHook(test, ctx, "openSecond");
      const first = await ctx.fresh();
      const second = await ctx.second(first);
      const { ref: old } = await ctx.createRun(first);
      await appendAll(first, old, stepWrites(["old"], 1, 40), 4);
      const { ref: now } = await ctx.recreateRun(second, old);
      await second.appendTimeSeries(now, stepWrites(["new"], 1, 2));
      await second.flush();

      await expectStaleAppendRefused(first, old, stepWrites(["old"], 41, 10), "close");
      expect(first.closed).toBe(true);
      expectSamePoints(await readPoints(second, now), pointsOfWrites(stepWrites(["new"], 1, 2)));
      expect((await second.getRun(now))?.incarnation).toBe(now.incarnation);
    },
  );

  ctx.it(
    "a run deleted by another instance loses none of the first instance's points of other runs",
    async (test) => {
      requireHook(test, ctx, "openSecond");
      const first = await ctx.fresh();
      const second = await ctx.second(first);
      const { ref: doomed } = await ctx.createRun(first);
      const { ref: kept } = await ctx.createRun(first, doomed.experiment);
      const keptWrites = stepWrites(["loss", "acc"], 0, 200);
      await appendAll(first, doomed, stepWrites(["loss"], 0, 50), 5);
      await appendAll(first, kept, keptWrites.slice(0, 100), 5);
      await second.deleteRun(doomed, { deleteBackingTensorboardRun: true });
      await appendAll(first, kept, keptWrites.slice(100), 5);

      // A flush may report the deleted run's points once; then every flush resolves.
      const flushed = await outcome(first.flush());
      if (flushed !== undefined)
        expect((flushed as { code?: string }).code, (flushed as Error).message).toBe("NOT_FOUND");
      await first.flush();
      expectSamePoints(await readPoints(second, kept), pointsOfWrites(keptWrites), "the kept run's points");
      expect(await second.getRun(doomed)).toBeUndefined();
    },
  );

  ctx.it(
    "a run whose experiment was deleted and re-created by another instance is a new run",
    async (test) => {
      requireHook(test, ctx, "openSecond");
      const first = await ctx.fresh();
      const second = await ctx.second(first);
      const { ref: old } = await ctx.createRun(first);
      await first.updateRun(old, { params: { old: 1 } });
      await appendAll(first, old, stepWrites(["old"], 1, 20), 5);
      await second.deleteExperiment(old.experiment, { deleteBackingTensorboardRuns: true });
      const { ref: now } = await ctx.createRun(second, old.experiment, old.run);

      await expectCode(first.updateRun(old, { params: { late: 1 } }), "NOT_FOUND", old.run);
      await expectStaleAppendRefused(first, old, stepWrites(["old"], 21, 5));
      await expectUntouched(second, now);
    },
  );

  ctx.it("two instances appending to one run lose no point", async (test) => {
    requireHook(test, ctx, "openSecond");
    const first = await ctx.fresh();
    const second = await ctx.second(first);
    const { ref } = await ctx.createRun(first);
    const a = stepWrites(["a"], 0, 300);
    const b = stepWrites(["b"], 0, 300);
    await Promise.all([appendAll(first, ref, a, 3), appendAll(second, ref, b, 3)]);
    await Promise.all([first.flush(), second.flush()]);
    const expected = pointsOfWrites([...a, ...b]);
    expectSamePoints(await readPoints(first, ref), expected, "read by the first");
    expectSamePoints(await readPoints(second, ref), expected, "read by the second");
  });
}
