import { describe } from "vitest";
import { classificationMetricsTests } from "./classification-metrics.js";
import { concurrencyTests } from "./concurrency.js";
import { type ConformanceOptions, type MakeBackend, SuiteContext } from "./context.js";
import { deletionTests } from "./deletion.js";
import { experimentTests } from "./experiments.js";
import { linkTests } from "./links.js";
import { listingTests } from "./listing.js";
import { loggableSchemaTests } from "./loggable-schemas.js";
import { paramsMetricsTests } from "./params-metrics.js";
import { rejectedInputTests } from "./rejected-input.js";
import { runLifecycleTests } from "./run-lifecycle.js";
import { timeSeriesTests } from "./time-series.js";
import { trackerTests } from "./tracker.js";

export type { ConformanceOptions, MakeBackend } from "./context.js";

/** The groups of the suite, one file each. */
export const GROUPS = {
  experiments: experimentTests,
  "run lifecycle and state": runLifecycleTests,
  "params and metrics": paramsMetricsTests,
  "time series": timeSeriesTests,
  "classification metrics": classificationMetricsTests,
  "executions, artifacts and pipeline jobs": linkTests,
  "loggable schemas": loggableSchemaTests,
  "listing and pagination": listingTests,
  concurrency: concurrencyTests,
  "rejected input writes nothing": rejectedInputTests,
  deletion: deletionTests,
  "module-level API": trackerTests,
} as const;

/**
 * Declares the exprun conformance suite for a backend, in vitest:
 *
 * ```ts
 * import { describeBackend } from "@exprun/conformance";
 * describeBackend("my-store", () => createMyBackend());
 * ```
 *
 * `makeBackend` is called once per group and MUST return an empty, isolated store (or one where
 * unique names cannot collide). Tests that depend on an optional capability run only when the
 * backend declares it, and say so in their names; nothing else can be switched off.
 */
export function describeBackend(
  name: string,
  makeBackend: MakeBackend,
  options: ConformanceOptions = {},
): void {
  describe(`exprun conformance: ${name}`, () => {
    for (const [group, declare] of Object.entries(GROUPS)) {
      describe(group, () => {
        const ctx = new SuiteContext(makeBackend, options);
        ctx.useBackend();
        declare(ctx);
      });
    }
  });
}
