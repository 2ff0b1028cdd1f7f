import type { CheckedBackend, RunRef, TimeSeriesWrite } from "@exprun/core";
import { expect } from "vitest";
import { outcome } from "./context.js";

function expectNotFound(error: unknown, ref: RunRef, what: string): void {
  expect(error, `${what} must reject with NOT_FOUND`).toBeInstanceOf(Error);
  expect((error as { code?: string }).code, `${what}: ${(error as Error).message}`).toBe("NOT_FOUND");
  expect((error as Error).message, `${what}: the error names the run`).toContain(ref.run);
}

/**
 * Appends `writes` to a run that is gone (deleted, or re-created as a newer incarnation) and checks
 * the contract (backend.ts, `appendTimeSeries`): an unbuffered store rejects the append with
 * NOT_FOUND; a buffered one may accept it, and then the `flush()` (or `close()`) that would write it
 * rejects with NOT_FOUND naming the run and discards the points, so the next one resolves.
 *
 * Points buffered before the run went may make the first `settle` reject the same way, or may have
 * been written (to the old run, and deleted with it) by a background flush: both are allowed.
 */
export async function expectStaleAppendRefused(
  backend: CheckedBackend,
  ref: RunRef,
  writes: TimeSeriesWrite[],
  settle: "flush" | "close" = "flush",
): Promise<void> {
  const appended = await outcome(backend.appendTimeSeries(ref, writes));
  const settled = await outcome(backend[settle]());
  if (appended !== undefined) {
    expectNotFound(appended, ref, "appendTimeSeries to a deleted run");
    if (settled !== undefined)
      expectNotFound(settled, ref, `${settle}() of points buffered for a deleted run`);
  } else {
    expect(
      backend.capabilities.bufferedTimeSeries,
      "appendTimeSeries to a deleted run resolved on a store that does not buffer (it must reject NOT_FOUND)",
    ).toBe(true);
    expectNotFound(settled, ref, `the ${settle}() after a buffered append to a deleted run`);
  }
  if (settled !== undefined) {
    // The refused points are discarded: they do not make every later flush fail.
    await expect(backend[settle](), `a second ${settle}() after the refused points`).resolves.toBeUndefined();
  }
}
