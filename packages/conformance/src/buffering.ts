import { expect } from "vitest";
import { requireCapability, requireHook, type SuiteContext } from "./context.js";
import { appendAll, expectSamePoints, pointsOfWrites, readPoints, stepWrites } from "./points.js";

export function bufferingTests(ctx: SuiteContext): void {
  ctx.it(
    "with bufferedTimeSeries, the writing instance reads its points at once and another instance after flush()",
    async (test) => {
      requireCapability(test, ctx, "bufferedTimeSeries", true);
      requireHook(test, ctx, "openSecond");
      const first = ctx.backend;
      const second = await ctx.second();
      const { ref } = await ctx.createRun(first);
      const writes = stepWrites(["loss", "acc"], 1, 250);
      await appendAll(first, ref, writes, 5);
      // Reads through the writing backend see what it buffered, without a flush().
      expectSamePoints(await readPoints(first, ref), pointsOfWrites(writes), "read by the writer");
      expect((await first.latestTimeSeries(ref)).loss).toMatchObject({ step: 250 });
      await first.flush();
      expectSamePoints(await readPoints(second, ref), pointsOfWrites(writes), "read by another instance");
      expect((await second.latestTimeSeries(ref)).acc).toMatchObject({ step: 250 });
    },
  );

  ctx.it("without bufferedTimeSeries, another instance reads a resolved append at once", async (test) => {
    requireCapability(test, ctx, "bufferedTimeSeries", false);
    requireHook(test, ctx, "openSecond");
    const first = ctx.backend;
    const second = await ctx.second();
    const { ref } = await ctx.createRun(first);
    const writes = stepWrites(["loss"], 1, 100);
    for (let i = 0; i < writes.length; i += 10) {
      await first.appendTimeSeries(ref, writes.slice(i, i + 10));
      // No flush(): every resolved append is visible to every backend object on the store.
      expectSamePoints(await readPoints(second, ref), pointsOfWrites(writes.slice(0, i + 10)));
    }
  });

  ctx.it("flush() on a backend with nothing buffered resolves, and is harmless to repeat", async () => {
    const { ref } = await ctx.createRun();
    await ctx.backend.flush();
    await ctx.backend.appendTimeSeries(ref, stepWrites(["x"], 1, 3));
    await Promise.all([ctx.backend.flush(), ctx.backend.flush()]);
    await ctx.backend.flush();
    expectSamePoints(await readPoints(ctx.backend, ref), pointsOfWrites(stepWrites(["x"], 1, 3)));
  });
}
