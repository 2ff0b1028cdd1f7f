import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exprun, exprunJson, tempDir } from "./helpers/cli.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

interface RunJson {
  run: string;
  state: string;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
}

describe("exprun demo", () => {
  const cwd = path.join(tmp.dir, "fresh");

  it("trains on a fresh default store and prints the runs table and a loss chart", async () => {
    mkdirSync(cwd);
    const result = await exprun(["demo", "--epochs", "8"], { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(cwd, ".exprun"))).toBe(true);
    expect(result.stdout).toMatch(/│ run\s+│ state\s+│ param\.model/);
    expect(result.stdout).toContain("val_loss by epoch");
    expect(result.stdout).toMatch(/Best: \S+ with val_accuracy 0\.\d+/);
    expect(result.stderr).toContain("Training 4 models on two moons");
  });

  // Guards against "Next: exprun runs show …" in the repository, where exprun is not on PATH.
  it("suggests next commands that work where it runs: pnpm exprun from the repository", async () => {
    const result = await exprun(["demo", "--epochs", "2", "--experiment", "next"], { cwd });
    expect(result.stdout).toMatch(/\nNext:\n {2}pnpm exprun runs show next\/\S+\n {2}pnpm exprun compare /);
    const store = `file:${path.join(tmp.dir, "elsewhere")}`;
    const elsewhere = await exprun(["demo", "--epochs", "2", "--backend", store], { cwd });
    expect(elsewhere.stdout).toContain(`  pnpm exprun plot -e demo --metric val_accuracy --backend ${store}`);
  });

  // Guards against metric.auc (exact, by ranks) and the ROC curve's area disagreeing in runs show.
  it("logs as metric.auc the area under the ROC curve it logs", async () => {
    const shown = await exprunJson<{
      metrics: Record<string, number>;
      classificationMetrics: { areaUnderLoggedPoints: number }[];
    }>(["runs", "show", "demo/mlp-h16-lr0-3"], { cwd });
    expect(shown.metrics.auc).toBe(shown.classificationMetrics[0]!.areaUnderLoggedPoints);
    const text = await exprun(["runs", "show", "demo/mlp-h16-lr0-3"], { cwd });
    expect(text.stdout).toContain(`area under these points ${shown.metrics.auc}`);
    expect(text.stdout).toMatch(new RegExp(`│ auc\\s+│ ${String(shown.metrics.auc).replace(".", "\\.")} │`));
  });

  it("logs params, per-epoch time series, final and classification metrics for every setting", async () => {
    const runs = await exprunJson<RunJson[]>(["runs", "list", "-e", "demo"], { cwd });
    expect(runs.map((r) => r.run)).toEqual(["logreg-lr0-5", "mlp-h4-lr0-1", "mlp-h8-lr0-3", "mlp-h16-lr0-3"]);
    for (const run of runs) {
      expect(run.state).toBe("COMPLETE");
      expect(run.params).toMatchObject({ epochs: 8, batch_size: 32, seed: 7 });
      expect(Object.keys(run.metrics).sort()).toEqual([
        "accuracy",
        "auc",
        "f1",
        "precision",
        "recall",
        "val_accuracy",
        "val_loss",
      ]);
      expect(run.metrics.val_accuracy).toBeGreaterThan(0.7);
    }
    const shown = await exprunJson<{
      timeSeries: Record<string, { steps: number }>;
      classificationMetrics: { labels: string[]; matrix: number[][]; fpr: number[] }[];
    }>(["runs", "show", "demo/mlp-h16-lr0-3"], { cwd });
    expect(shown.timeSeries).toEqual({
      loss: expect.objectContaining({ steps: 8, firstStep: 1, lastStep: 8 }),
      val_accuracy: expect.objectContaining({ steps: 8 }),
      val_loss: expect.objectContaining({ steps: 8 }),
    });
    const [cm] = shown.classificationMetrics;
    expect(cm?.labels).toEqual(["lower moon", "upper moon"]);
    expect(cm?.matrix.flat().reduce((a, b) => a + b, 0)).toBe(200);
    expect(cm?.fpr).toHaveLength(21);
  });

  it("is deterministic and adds new runs when run again", async () => {
    const first = await exprunJson<RunJson[]>(["runs", "list", "-e", "demo"], { cwd });
    const again = await exprunJson<{ runs: RunJson[] }>(["demo", "--epochs", "8"], { cwd });
    expect(again.runs.map((r) => r.run)).toEqual([
      "logreg-lr0-5-2",
      "mlp-h4-lr0-1-2",
      "mlp-h8-lr0-3-2",
      "mlp-h16-lr0-3-2",
    ]);
    expect(again.runs.map((r) => r.metrics)).toEqual(first.map((r) => r.metrics));
  });
});
