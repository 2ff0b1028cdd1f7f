import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs the conformance suite on a deliberately broken store; returns the names of failed tests. */
function failuresOf(kind: string): string[] {
  const result = spawnSync(
    process.execPath,
    [
      path.join(here, "../node_modules/vitest/vitest.mjs"),
      "run",
      "--root",
      path.join(here, "fixtures"),
      "--reporter=json",
      "--testNamePattern",
      "concurrency|params and metrics|listing",
      "broken-backends.test.ts",
    ],
    { encoding: "utf8", env: { ...process.env, BROKEN: kind }, timeout: 120_000 },
  );
  const report = JSON.parse(result.stdout.slice(result.stdout.indexOf("{"))) as {
    testResults: { assertionResults: { fullName: string; status: string }[] }[];
  };
  return report.testResults.flatMap((file) =>
    file.assertionResults.filter((t) => t.status === "failed").map((t) => t.fullName),
  );
}

describe("the conformance suite catches broken stores", () => {
  it("a store whose merges race loses keys, and the concurrency test fails", () => {
    expect(failuresOf("lost-merge").some((name) => name.includes("200 concurrent logParams"))).toBe(true);
  }, 120_000);

  it("a store that replaces params instead of merging fails the overwrite test", () => {
    expect(failuresOf("replace-params").some((name) => name.includes("overwrites an existing key"))).toBe(
      true,
    );
  }, 120_000);

  it("a store whose pages repeat runs fails the 1,000-run listing test", () => {
    expect(
      failuresOf("duplicate-page").some((name) => name.includes("1,000 runs are listed exactly once")),
    ).toBe(true);
  }, 120_000);
});
