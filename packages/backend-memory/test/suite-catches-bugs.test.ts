import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));

interface TestResult {
  fullName: string;
  status: string;
  failureMessages: string[];
}

interface FixtureRun {
  results: TestResult[];
  stderr: string;
  status: number | null;
  timedOut: boolean;
}

/** Runs the conformance suite on deliberately broken stores (fixtures/broken-backends.test.ts). */
function runFixture(kinds: string[], pattern: string, timeout = 600_000): FixtureRun {
  const result = spawnSync(
    process.execPath,
    [
      path.join(here, "../node_modules/vitest/vitest.mjs"),
      "run",
      "--root",
      path.join(here, "fixtures"),
      "--reporter=json",
      "--testNamePattern",
      pattern,
      "broken-backends.test.ts",
    ],
    {
      encoding: "utf8",
      env: { ...process.env, BROKEN: kinds.join(","), EXPRUN_CONFORMANCE_PROGRESS: "1" },
      timeout,
      maxBuffer: 256 << 20,
    },
  );
  const start = result.stdout.indexOf("{");
  const report =
    start >= 0
      ? (JSON.parse(result.stdout.slice(start)) as { testResults: { assertionResults: TestResult[] }[] })
      : { testResults: [] };
  return {
    results: report.testResults.flatMap((file) => file.assertionResults),
    stderr: result.stderr,
    status: result.status,
    timedOut: (result.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT",
  };
}

const failuresOf = (run: FixtureRun, kind: string): string[] =>
  run.results
    .filter((t) => t.fullName.startsWith(`exprun conformance: broken: ${kind} `) && t.status === "failed")
    .map((t) => t.fullName);

/** Each broken memory store, and a test of the suite that must fail on it. */
const CAUGHT: [kind: string, what: string, failingTest: string][] = [
  ["lost-merge", "a store whose merges race loses keys", "200 concurrent logParams"],
  ["replace-params", "a store that replaces params instead of merging", "overwrites an existing key"],
  ["duplicate-page", "a store whose pages repeat runs", "1,000 runs are listed exactly once"],
  [
    "ignores-incarnations",
    "a store that ignores incarnations",
    "a RunRef with an older incarnation reads as missing",
  ],
  [
    "ignores-incarnations",
    "a store that ignores incarnations",
    "a write with an older incarnation rejects NOT_FOUND",
  ],
  [
    "flush-drops-on-failure",
    "a store whose failed flush drops points",
    "a flush that fails keeps every point",
  ],
  [
    "flush-drops-on-failure",
    "a store whose failed flush drops points",
    "a close() that fails keeps the backend open",
  ],
  [
    "flush-by-name",
    "a store that flushes buffered points by run name",
    "points still buffered for a run re-created",
  ],
  [
    "flush-by-name",
    "a store that flushes buffered points by run name",
    "the first's late writes reject NOT_FOUND",
  ],
  [
    "close-without-flush",
    "a store whose close() drops buffered points",
    "close() makes buffered writes durable",
  ],
  [
    "reads-skip-buffer",
    "a buffered store whose reads miss its own buffer",
    "the writing instance reads its points at once",
  ],
  [
    "reorders-same-step",
    "a store that reorders same-step points",
    "points of one (metric, step) come in write order",
  ],
  ["loses-creation-order", "a store that delivers metrics by name", "comes in series creation order"],
  [
    "samples-series",
    "a store that samples long series",
    "every stored point exactly once, complete and unsampled",
  ],
  ["samples-series", "a store that samples long series", "keeps a one-step spike and a one-step dip"],
  ["drops-tags", "a store that drops tags", "tag patches merge"],
  ["drops-tags", "a store that drops tags", "setTags, getTags and deleteTags"],
  [
    "forgets-times",
    "a store that stamps imported runs with now",
    "createTime and updateTime given at creation are kept",
  ],
  ["shares-latest", "a store that hands out its cached latest points", "records returned are fresh copies"],
  [
    "caches-runs",
    "a store that caches runs per instance",
    "a second instance reads the first's acknowledged writes",
  ],
  ["resurrects-deleted-runs", "a store whose updates re-create deleted runs", "nothing brings it back"],
  [
    "decodes-lookalike-metadata",
    'a store that reads a user\'s { $float: "NaN" } metadata back as NaN',
    "metadata that looks like a store's own encoding",
  ],
  ["own-not-found-wording", "a store with its own not-found wording", "NOT_FOUND in core's one wording"],
];

const GROUPS = [
  "concurrency",
  "params and metrics",
  "listing and pagination",
  "backend: ",
  "streaming and downsampled reads",
  "tags, note, times and run type",
  "metadata that looks like a store's own encoding",
];

describe("the conformance suite catches broken stores", () => {
  let run: FixtureRun;
  beforeAll(() => {
    const kinds = [
      ...new Set(CAUGHT.map(([kind]) => kind)),
      "buffered",
      "drops-tags-marked",
      "marks-passing-test",
    ];
    run = runFixture(kinds, [...GROUPS, "expectedFailures names"].join("|"));
    expect(run.results.length, run.stderr.slice(-3000)).toBeGreaterThan(0);
  }, 900_000);

  for (const [kind, what, failingTest] of CAUGHT) {
    it(`${what} (${kind}) fails "${failingTest}"`, () => {
      expect(
        failuresOf(run, kind).some((name) => name.includes(failingTest)),
        failuresOf(run, kind).join("\n"),
      ).toBe(true);
    });
  }

  it("a case marked in expectedFailures that fails passes, with the issue in its name", () => {
    const marked = run.results.find(
      (t) =>
        t.fullName.startsWith("exprun conformance: broken: drops-tags-marked ") &&
        t.fullName.includes("tag patches merge"),
    );
    expect(marked?.fullName).toMatch(/\[expected to fail until issue 0\]$/);
    expect(marked?.status).toBe("passed");
  });

  it("a marked case that passes fails, and so does a marker naming no case", () => {
    expect(failuresOf(run, "marks-passing-test").sort()).toEqual(
      [
        "exprun conformance: broken: marks-passing-test options.expectedFailures names only tests of the suite",
        "exprun conformance: broken: marks-passing-test tags, note, times and run type tag patches merge: named keys are set, other tags kept, a null deletes its key [expected to fail until issue 0]",
      ].sort(),
    );
  });

  it("a correct buffered store (the control for the buffered kinds) passes those groups", () => {
    expect(run.results.some((t) => t.fullName.startsWith("exprun conformance: broken: buffered "))).toBe(
      true,
    );
    expect(failuresOf(run, "buffered")).toEqual([]);
  });

  it("a lock-free one-file store declaring multiProcess loses writes of concurrent processes", () => {
    const processes = runFixture(["document-store"], "backend: several processes");
    const failed = failuresOf(processes, "document-store");
    expect(
      failed.some((n) => n.includes("4 processes writing one run at once")),
      processes.stderr.slice(-3000),
    ).toBe(true);
    // The single-writer cases pass: the failure is the lost update, not the harness.
    expect(failed).toHaveLength(1);
  }, 600_000);
});

describe("the watchdog names a hanging test", () => {
  const TEST = "create then get returns the experiment with its description";
  const label = (kind: string) => `broken: ${kind} › experiments › ${TEST}`;

  it("a store that blocks the event loop is named while it blocks, and its test fails with the timeout", () => {
    const blocked = runFixture(["blocks-event-loop"], TEST, 120_000);
    const timeout = blocked.stderr.indexOf(
      `TIMEOUT: "${label("blocks-event-loop")}" has not finished after 1000 ms`,
    );
    const unblocked = blocked.stderr.indexOf("[fixture] the store gave the event loop back");
    expect(blocked.stderr.indexOf(`▶ ${label("blocks-event-loop")}`), blocked.stderr).toBeGreaterThanOrEqual(
      0,
    );
    expect(timeout, blocked.stderr).toBeGreaterThanOrEqual(0);
    expect(unblocked, "the store's block ended").toBeGreaterThan(timeout);
    const [test] = blocked.results.filter((t) => t.fullName.endsWith(TEST));
    expect(test?.status).toBe("failed");
    expect(test?.failureMessages.join("\n")).toMatch(/did not finish within 1000 ms/);
  }, 180_000);

  it("a store whose call never settles fails the test with the watchdog's timeout, not vitest's", () => {
    const hung = runFixture(["never-settles"], TEST, 120_000);
    const [test] = hung.results.filter((t) => t.fullName.endsWith(TEST));
    expect(test?.status).toBe("failed");
    expect(test?.failureMessages.join("\n")).toMatch(/did not finish within 1000 ms/);
    expect(hung.stderr).toContain(`TIMEOUT: "${label("never-settles")}"`);
  }, 180_000);

  it("a store that never gives the event loop back ends its test process instead of hanging the run", () => {
    const frozen = runFixture(["frozen"], TEST, 150_000);
    expect(frozen.timedOut, "the run hung").toBe(false);
    expect(frozen.stderr).toContain(`TIMEOUT: "${label("frozen")}" has not finished after 1000 ms`);
    expect(frozen.stderr).toMatch(
      /The event loop has been blocked for \d+ s in "broken: frozen › experiments/,
    );
    expect(frozen.status).not.toBe(0);
  }, 180_000);
});
