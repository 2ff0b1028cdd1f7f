import { expect } from "vitest";
import { StoreChild } from "./child-process.js";
import { requireCapability, requireHook, type SuiteContext } from "./context.js";
import { expectUntouched } from "./incarnations.js";
import type { ChildProcessHook } from "./options.js";
import { expectSamePoints, pointsOfWrites, readPoints, stepWrites } from "./points.js";

export function multiProcessTests(ctx: SuiteContext): void {
  const hook = (): ChildProcessHook => ctx.hooks.childProcess!;

  ctx.it(
    "4 processes writing one run at once lose no param, metric, tag or point",
    async (test) => {
      requireCapability(test, ctx, "multiProcess", true);
      requireHook(test, ctx, "childProcess");
      const { ref } = await ctx.createRun();
      const workers = 4;
      const params = 15;
      const points = 400;
      const children = await Promise.all(
        Array.from({ length: workers }, (_, worker) =>
          StoreChild.start(
            hook(),
            ctx.backend,
            { kind: "write", ref, worker, params, points },
            `writer ${worker}`,
          ),
        ),
      );
      try {
        await Promise.all(children.map((c) => c.waitFor("done")));
        await Promise.all(children.map((c) => c.exited));
      } finally {
        for (const c of children) c.kill();
      }
      const record = await ctx.backend.getRun(ref);
      const expected = (kind: string, value: (i: number) => unknown) =>
        Object.fromEntries(
          Array.from({ length: workers }, (_, w) =>
            Array.from({ length: params }, (_, i) => [`w${w}-${kind}${i}`, value(i)]),
          ).flat(),
        );
      expect(record?.params).toEqual(expected("p", (i) => i));
      expect(record?.metrics).toEqual(expected("m", (i) => -i));
      expect(record?.tags).toEqual(expected("t", (i) => String(i)));
      const written = Array.from({ length: workers }, (_, w) =>
        stepWrites([`w${w}`], 0, points, (_m, step) => step),
      ).flat();
      expectSamePoints(await readPoints(ctx.backend, ref), pointsOfWrites(written));
    },
    ctx.heavyTimeout,
  );

  ctx.it(
    "a process exiting with points buffered for a run re-created meanwhile writes none of them into the new run",
    async (test) => {
      requireCapability(test, ctx, "multiProcess", true);
      requireHook(test, ctx, "childProcess");
      const { ref: old } = await ctx.createRun();
      const child = await StoreChild.start(
        hook(),
        ctx.backend,
        { kind: "hold", ref: old, metric: "old", points: 200 },
        "a writer holding buffered points",
      );
      try {
        await child.waitFor("ready");
        const { ref: now } = await ctx.recreateRun(ctx.backend, old);
        child.tell("exit");
        const exit = await child.exited;
        expect(exit.signal, child.stderr).toBeNull();
        await expectUntouched(ctx.backend, now);
      } finally {
        child.kill();
      }
    },
    ctx.heavyTimeout,
  );

  ctx.it(
    "points a process flushed before it exits are read by every other process",
    async (test) => {
      requireCapability(test, ctx, "multiProcess", true);
      requireHook(test, ctx, "childProcess");
      const { ref } = await ctx.createRun();
      const child = await StoreChild.start(
        hook(),
        ctx.backend,
        { kind: "write", ref, worker: 9, params: 1, points: 1000 },
        "a writer",
      );
      try {
        await child.waitFor("done");
      } finally {
        child.kill();
      }
      expectSamePoints(
        await readPoints(ctx.backend, ref),
        pointsOfWrites(stepWrites(["w9"], 0, 1000, (_m, step) => step)),
      );
      expect((await ctx.backend.latestTimeSeries(ref)).w9).toMatchObject({ step: 999, value: 999 });
    },
    ctx.heavyTimeout,
  );
}
