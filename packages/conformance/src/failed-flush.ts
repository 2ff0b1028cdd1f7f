import type { CheckedBackend, RunRef, SeriesPoint, TimeSeriesWrite } from "@exprun/core";
import { expect } from "vitest";
import { outcome, requireHook, type SuiteContext } from "./context.js";
import type { RestoreFault } from "./options.js";
import { expectSamePoints, pointsOfWrites, readPoints, stepWrites } from "./points.js";

/** Appends, and tells which writes were acknowledged (resolved) and which were refused. */
async function appendTracked(
  backend: CheckedBackend,
  ref: RunRef,
  writes: TimeSeriesWrite[],
  into: { acked: TimeSeriesWrite[]; refused: TimeSeriesWrite[] },
): Promise<unknown> {
  const error = await outcome(backend.appendTimeSeries(ref, writes));
  (error === undefined ? into.acked : into.refused).push(...writes);
  return error;
}

/**
 * Every acknowledged point exactly once; a refused one at most once (a failed write may or may not
 * have landed), and nothing else.
 */
function expectKept(
  read: SeriesPoint[],
  log: { acked: TimeSeriesWrite[]; refused: TimeSeriesWrite[] },
): void {
  const refused = new Set(pointsOfWrites(log.refused).map((p) => `${p.metric} ${p.step}`));
  const landedRefused = read.filter((p) => refused.has(`${p.metric} ${p.step}`));
  expect(
    new Set(landedRefused.map((p) => `${p.metric} ${p.step}`)).size,
    "a refused point landed twice",
  ).toBe(landedRefused.length);
  expectSamePoints(
    read.filter((p) => !refused.has(`${p.metric} ${p.step}`)),
    pointsOfWrites(log.acked),
    "acknowledged points after the fault",
  );
}

function expectBackendError(error: unknown, what: string): void {
  expect(error, `${what} must reject while writes fail`).toBeInstanceOf(Error);
  expect((error as { code?: string }).code, `${what}: ${(error as Error).message}`).toBe("BACKEND");
}

export function failedFlushTests(ctx: SuiteContext): void {
  const failWrites = (backend: CheckedBackend, ref: RunRef): Promise<RestoreFault> =>
    Promise.resolve(ctx.hooks.faults!.failWrites(backend, ref));

  ctx.it(
    "a flush that fails keeps every point for the next flush, and keeps failing while the fault lasts",
    async (test) => {
      requireHook(test, ctx, "faults");
      const backend = await ctx.fresh();
      const { ref } = await ctx.createRun(backend);
      const log = { acked: [] as TimeSeriesWrite[], refused: [] as TimeSeriesWrite[] };
      await appendTracked(backend, ref, stepWrites(["loss"], 0, 100), log);
      expect(log.refused, "appends before the fault").toEqual([]);

      const restore = await failWrites(backend, ref);
      let restored = false;
      try {
        await appendTracked(backend, ref, stepWrites(["loss"], 100, 100), log);
        const pending = log.acked.length > 100; // acknowledged while nothing can be written: still buffered
        const first = await outcome(backend.flush());
        if (pending) {
          expectBackendError(first, "the flush() of points buffered while writes fail");
          await appendTracked(backend, ref, stepWrites(["loss"], 200, 100), log);
          expectBackendError(await outcome(backend.flush()), "a second flush() while writes still fail");
          expectBackendError(await outcome(backend.flush()), "a third flush() while writes still fail");
        } else {
          // Nothing was acknowledged during the fault: a store that writes on append refused the points.
          expect(log.refused.length).toBeGreaterThan(0);
        }
        await restore();
        restored = true;
      } finally {
        if (!restored) await restore();
      }
      await backend.flush();
      const reader = ctx.hooks.openSecond ? await ctx.second(backend) : backend;
      expectKept(await readPoints(reader, ref), log);
    },
  );

  ctx.it(
    "a close() that fails keeps the backend open and its points buffered; a later close() writes them",
    async (test) => {
      requireHook(test, ctx, "faults");
      requireHook(test, ctx, "openSecond");
      const backend = await ctx.fresh();
      const { ref } = await ctx.createRun(backend);
      const log = { acked: [] as TimeSeriesWrite[], refused: [] as TimeSeriesWrite[] };
      await appendTracked(backend, ref, stepWrites(["acc"], 0, 50), log);
      const restore = await failWrites(backend, ref);
      let restored = false;
      try {
        await appendTracked(backend, ref, stepWrites(["acc"], 50, 50), log);
        const closed = await outcome(backend.close());
        if (log.acked.length > 50) {
          expectBackendError(closed, "close() with points buffered while writes fail");
          expect(backend.closed, "a failed close() leaves the backend open").toBe(false);
          expectBackendError(await outcome(backend.close()), "a second close() while writes still fail");
        }
        await restore();
        restored = true;
      } finally {
        if (!restored) await restore();
      }
      await backend.close();
      expect(backend.closed).toBe(true);
      expectKept(await readPoints(await ctx.second(backend), ref), log);
    },
  );

  ctx.it("points of other runs buffered beside a failing flush are kept too", async (test) => {
    requireHook(test, ctx, "faults");
    const backend = await ctx.fresh();
    const { ref } = await ctx.createRun(backend);
    const { ref: beside } = await ctx.createRun(backend, ref.experiment);
    const log = { acked: [] as TimeSeriesWrite[], refused: [] as TimeSeriesWrite[] };
    const besideLog = { acked: [] as TimeSeriesWrite[], refused: [] as TimeSeriesWrite[] };
    const restore = await failWrites(backend, ref);
    let restored = false;
    try {
      await appendTracked(backend, beside, stepWrites(["beside"], 0, 60), besideLog);
      await appendTracked(backend, ref, stepWrites(["failing"], 0, 60), log);
      await outcome(backend.flush());
      await appendTracked(backend, beside, stepWrites(["beside"], 60, 60), besideLog);
      await outcome(backend.flush());
      await restore();
      restored = true;
    } finally {
      if (!restored) await restore();
    }
    await backend.flush();
    const reader = ctx.hooks.openSecond ? await ctx.second(backend) : backend;
    expectKept(await readPoints(reader, ref), log);
    expectKept(await readPoints(reader, beside), besideLog);
  });
}
