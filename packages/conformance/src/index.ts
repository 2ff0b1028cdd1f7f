import { describe, expect, it } from "vitest";
import { bufferingTests } from "./buffering.js";
import { classificationMetricsTests } from "./classification-metrics.js";
import { closedStateTests } from "./closed-state.js";
import { concurrencyTests } from "./concurrency.js";
import { SuiteContext, SuiteRun } from "./context.js";
import { deletionTests } from "./deletion.js";
import { experimentTests } from "./experiments.js";
import { failedFlushTests } from "./failed-flush.js";
import { incarnationTests } from "./incarnations.js";
import { linkTests } from "./links.js";
import { listingTests } from "./listing.js";
import { loggableSchemaTests } from "./loggable-schemas.js";
import { multiProcessTests } from "./multi-process.js";
import type { ConformanceOptions, MakeBackend } from "./options.js";
import { paramsMetricsTests } from "./params-metrics.js";
import { rejectedInputTests } from "./rejected-input.js";
import { runLifecycleTests } from "./run-lifecycle.js";
import { secondInstanceTests } from "./second-instance.js";
import { seriesStreamTests } from "./series-stream.js";
import { storeReadTests } from "./store-reads.js";
import { tagsTimesTests } from "./tags-times.js";
import { timeSeriesTests } from "./time-series.js";
import { trackerTests } from "./tracker.js";

export { simulateFullDisk } from "./full-disk.js";
export type {
  ChildProcessHook,
  ConformanceOptions,
  FaultHooks,
  MakeBackend,
  RestoreFault,
} from "./options.js";
export { ConformanceTimeoutError } from "./watchdog.js";

/**
 * The groups of the suite, one file each. Those named `backend: …` call the `Backend` methods
 * themselves (through `checkBackend`), the others go through core's API as users do.
 */
export const GROUPS = {
  experiments: experimentTests,
  "run lifecycle and state": runLifecycleTests,
  "params and metrics": paramsMetricsTests,
  "time series": timeSeriesTests,
  "streaming and downsampled reads": seriesStreamTests,
  "tags, note, times and run type": tagsTimesTests,
  "classification metrics": classificationMetricsTests,
  "executions, artifacts and pipeline jobs": linkTests,
  "loggable schemas": loggableSchemaTests,
  "listing and pagination": listingTests,
  concurrency: concurrencyTests,
  "rejected input writes nothing": rejectedInputTests,
  deletion: deletionTests,
  "module-level API": trackerTests,
  "backend: closed state": closedStateTests,
  "backend: incarnations": incarnationTests,
  "backend: a second instance on the same store": secondInstanceTests,
  "backend: buffered time series": bufferingTests,
  "backend: reads, filters and fresh copies": storeReadTests,
  "backend: failed flushes": failedFlushTests,
  "backend: several processes": multiProcessTests,
} as const;

/**
 * Declares the exprun conformance suite for a backend, in vitest:
 *
 * ```ts
 * import { describeBackend } from "@exprun/conformance";
 * describeBackend("my-store", () => createMyBackend(), { openSecond: (b) => createMyBackend({ same: b }) });
 * ```
 *
 * `makeBackend` is called once per group (and by tests that need a store of their own) and MUST
 * return an empty, isolated store (or one where unique names cannot collide). Tests that depend on
 * an optional capability run only when the backend declares it, and tests that need a hook of
 * `options` (a second instance, child processes, faults) only when it is given; each skip prints
 * why. Nothing else can be switched off; `options.expectedFailures` marks tests known to fail.
 */
export function describeBackend(
  name: string,
  makeBackend: MakeBackend,
  options: ConformanceOptions = {},
): void {
  describe(`exprun conformance: ${name}`, () => {
    const suite = new SuiteRun(name, options);
    for (const [group, declare] of Object.entries(GROUPS)) {
      describe(group, () => {
        const ctx = new SuiteContext(makeBackend, options, suite, group);
        ctx.useBackend();
        declare(ctx);
      });
    }
    it("options.expectedFailures names only tests of the suite", () => {
      // Run after collection, when every test of the groups has been declared.
      const unknown = suite.unknownExpectedFailures();
      expect(
        unknown,
        "[exprun] [conformance] expectedFailures names tests the suite does not have: remove the marker (the " +
          "test was renamed or removed) or fix the name",
      ).toEqual([]);
    });
  });
}
