import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function classificationMetricsTests(ctx: SuiteContext): void {
  ctx.it("a confusion matrix and ROC curve round-trip with their display name", async () => {
    const run = await ctx.run();
    const logged = await run.logClassificationMetrics({
      labels: ["cat", "dog"],
      matrix: [
        [9, 1],
        [2, 8],
      ],
      fpr: [0, 0.1, 1],
      tpr: [0, 0.8, 1],
      threshold: [1, 0.5, 0],
      displayName: "holdout",
    });
    const [read, ...rest] = await run.getClassificationMetrics();
    expect(rest).toEqual([]);
    expect(read).toEqual({
      id: logged.id,
      displayName: "holdout",
      labels: ["cat", "dog"],
      matrix: [
        [9, 1],
        [2, 8],
      ],
      fpr: [0, 0.1, 1],
      tpr: [0, 0.8, 1],
      thresholds: [1, 0.5, 0],
    });
  });

  ctx.it("only the parts given are stored", async () => {
    const run = await ctx.run();
    await run.logClassificationMetrics({
      labels: ["a", "b"],
      matrix: [
        [1, 0],
        [0, 1],
      ],
    });
    const [read] = await run.getClassificationMetrics();
    expect(read).toMatchObject({
      labels: ["a", "b"],
      matrix: [
        [1, 0],
        [0, 1],
      ],
      displayName: "",
    });
    expect(read).not.toHaveProperty("fpr");
    expect(read).not.toHaveProperty("thresholds");
  });

  ctx.it("several logs are listed in order and are run artifacts", async () => {
    const run = await ctx.run();
    for (const name of ["first", "second", "third"]) {
      await run.logClassificationMetrics({ fpr: [0, 1], tpr: [0, 1], threshold: [1, 0], displayName: name });
    }
    expect((await run.getClassificationMetrics()).map((m) => m.displayName)).toEqual([
      "first",
      "second",
      "third",
    ]);
    const artifacts = await run.getArtifacts();
    expect(artifacts.filter((a) => a.schemaTitle === "google.ClassificationMetrics")).toHaveLength(3);
  });

  ctx.it("runs do not see each other's classification metrics", async () => {
    const exp = await ctx.experiment();
    const a = await ctx.run(exp);
    const b = await ctx.run(exp);
    await a.logClassificationMetrics({ labels: ["x"], matrix: [[1]] });
    expect(await b.getClassificationMetrics()).toEqual([]);
  });

  ctx.it("rejects inconsistent input with Python's messages", async () => {
    const run = await ctx.run();
    await expectCode(
      run.logClassificationMetrics({ labels: ["a"] }),
      "VALIDATION",
      "labels and matrix must be set together.",
    );
    await expectCode(
      run.logClassificationMetrics({ fpr: [0], tpr: [1] }),
      "VALIDATION",
      "fpr, tpr, and thresholds must be set together.",
    );
    await expectCode(
      run.logClassificationMetrics({ labels: ["a", "b"], matrix: [[1, 2]] }),
      "VALIDATION",
      "Length of labels and matrix must be the same. Got lengths 2 and 1 respectively.",
    );
    await expectCode(
      run.logClassificationMetrics({ fpr: [0, 1], tpr: [0, 1], threshold: [1] }),
      "VALIDATION",
      "Length of fpr, tpr and threshold must be the same. Got lengths 2, 2 and 1 respectively.",
    );
    expect(await run.getClassificationMetrics()).toEqual([]);
  });
}
