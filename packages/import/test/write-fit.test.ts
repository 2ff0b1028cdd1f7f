import type { BackendCapabilities } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { labelKey, TargetFit } from "../src/index.js";
import { Report } from "../src/report.js";

const CAPS: BackendCapabilities = {
  nonFiniteValues: true,
  requiresTensorboard: false,
  bufferedTimeSeries: false,
  multiProcess: false,
  keepsTimes: true,
  tagsAsLabels: false,
};
const VERTEXLIKE = { ...CAPS, nonFiniteValues: false, tagsAsLabels: true, keepsTimes: false };

function fitter(capabilities: BackendCapabilities) {
  const report = new Report();
  return { fit: new TargetFit({ name: "test", capabilities }, report), report };
}

const run = (parts: Partial<Parameters<TargetFit["run"]>[1]>) => ({
  params: {},
  metrics: {},
  tags: {},
  description: "",
  seriesKeys: [],
  ...parts,
});

describe("labelKey: the documented rule for tag keys on stores that keep labels", () => {
  it("lowercases, turns every character but [a-z0-9_-] into _, drops accents and cuts at 63", () => {
    expect(labelKey("mlflow.user")).toBe("mlflow_user");
    expect(labelKey("mlflow.source.git.commit")).toBe("mlflow_source_git_commit");
    expect(labelKey("My Tag")).toBe("my_tag");
    expect(labelKey("Café/β")).toBe("cafe__");
    expect(labelKey("already-fine_1")).toBe("already-fine_1");
    expect(labelKey("x".repeat(100))).toHaveLength(63);
  });
});

describe("TargetFit", () => {
  it("keeps every tag, NaN and key as they are on a store that keeps any string and NaN", () => {
    const { fit, report } = fitter(CAPS);
    const fitted = fit.run(
      "e/r",
      run({
        params: { lr: Number.NaN },
        metrics: { loss: Number.POSITIVE_INFINITY },
        tags: { "mlflow.user": "Ana Lee", "": "x" },
        description: "a note",
      }),
    );
    expect(fitted.params.lr).toBeNaN();
    expect(fitted.metrics).toEqual({ loss: Number.POSITIVE_INFINITY });
    expect(fitted.tags).toEqual({ "mlflow.user": "Ana Lee" });
    expect(fitted.description).toBe("a note");
    fit.finish();
    expect(report.skipped).toEqual({ invalidTags: 1 });
  });

  it("gathers one warning per key over many runs, with the count and the first run", () => {
    const { fit, report } = fitter(VERTEXLIKE);
    for (let i = 0; i < 3; i++) fit.run(`e/r${i}`, run({ metrics: { loss: Number.NaN, acc: 0.5 } }));
    fit.finish();
    expect(report.skipped).toEqual({ nonFiniteMetrics: 3 });
    expect(report.warnings).toEqual([
      'metric "loss" (NaN) in 3 runs, first e/r0: the test store cannot keep NaN or ±Infinity in summary metrics; not imported',
    ]);
  });

  it("a key that is already a label key keeps its place against one renamed onto it", () => {
    const { fit, report } = fitter(VERTEXLIKE);
    const fitted = fit.run("e/r", run({ tags: { "a.b": "renamed", a_b: "own" } }));
    expect(fitted.tags).toEqual({ a_b: "own" });
    fit.finish();
    expect(report.skipped).toEqual({ tagsNotLabels: 1 });
    expect(report.warnings[0]).toContain('tag "a.b" (as a_b) in run e/r');
  });

  it("keeps at most 64 labels, counting those the target's run already has", () => {
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, "v"]));
    const { fit, report } = fitter(VERTEXLIKE);
    expect(Object.keys(fit.run("e/a", run({ tags: many })).tags)).toHaveLength(64);
    const existing = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`old${i}`, "v"]));
    expect(Object.keys(fit.run("e/b", run({ tags: many }), existing).tags)).toHaveLength(54);
    // Keys the run already has are updated, not counted twice.
    expect(Object.keys(fit.run("e/c", run({ tags: many }), { k0: "v" }).tags)).toHaveLength(64);
    fit.finish();
    expect(report.skipped).toEqual({ tagsOverLabelLimit: 6 + 16 + 6 });
  });

  it("leaves out keys core refuses on every store, long tag values and a note over 65,536 characters", () => {
    const { fit, report } = fitter(CAPS);
    const params: Record<string, number> = { ok: 1 };
    Object.defineProperty(params, "constructor", { value: 2, enumerable: true });
    const fitted = fit.run(
      "e/r",
      run({
        params,
        tags: { big: "x".repeat(70_000) },
        description: "n".repeat(70_000),
        seriesKeys: ["loss", "__proto__"],
      }),
    );
    expect(fitted.params).toEqual({ ok: 1 });
    expect(fitted.tags).toEqual({});
    expect(fitted.description).toBeUndefined();
    expect([...fitted.droppedSeries]).toEqual(["__proto__"]);
    fit.finish();
    expect(report.skipped).toEqual({ invalidKeys: 2, invalidTags: 1, longNotes: 1 });
    expect(report.warnings).toHaveLength(4);
  });
});
