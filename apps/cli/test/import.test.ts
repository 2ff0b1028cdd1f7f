import { cpSync, existsSync, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exprun, tempDir } from "./helpers/cli.js";

/** The real files @exprun/import's tests use (with their provenance in NOTICE.md beside them). */
const FIXTURES = path.resolve(import.meta.dirname, "../../../packages/import/test/fixtures");

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function scratch(): string {
  const d = tempDir("exprun-cli-import-");
  dirs.push(d);
  return d.dir;
}

describe("exprun import mlflow", () => {
  it("--dry-run --json summarizes experiments, runs, points, skipped items and warnings, and writes nothing", async () => {
    const dir = scratch();
    cpSync(path.join(FIXTURES, "mlflow/sktime-mlflow-2.6/mlruns"), path.join(dir, "mlruns"), {
      recursive: true,
    });
    const store = path.join(dir, "store");
    const result = await exprun([
      "import",
      "mlflow",
      path.join(dir, "mlruns"),
      "--dry-run",
      "--json",
      "--backend",
      `file:${store}`,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({
      source: "mlflow",
      dryRun: true,
      backend: `file:${store}`,
      experiments: 2,
      runs: 4,
      points: 0,
      skipped: { artifacts: 2 },
      warnings: [],
    });
    expect(
      summary.mapping.experiments.map((e: { from: string; to: string }) => `${e.from} → ${e.to}`),
    ).toEqual(["Default → default", "Test Sktime → test-sktime"]);
    expect(existsSync(store)).toBe(false);
  });

  it("prints the experiment mapping as a table", async () => {
    const result = await exprun([
      "import",
      "mlflow",
      path.join(FIXTURES, "mlflow/sktime-mlflow-2.6/mlruns"),
      "--dry-run",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Test Sktime\s+│ test-sktime\s+│\s+2/);
    expect(result.stdout).toContain("Would import 4 runs in 2 experiments");
    expect(result.stdout).toContain("Not imported: artifacts 2.");
  });

  it("--include-deleted counts deleted runs in; without it they are reported as skipped", async () => {
    const dir = scratch();
    const mlruns = path.join(dir, "mlruns");
    cpSync(path.join(FIXTURES, "mlflow/sktime-mlflow-2.6/mlruns"), mlruns, { recursive: true });
    const meta = path.join(mlruns, "0", "6e937bc228d441cca9a8e9f3f7f6c7f8", "meta.yaml");
    const { readFileSync } = await import("node:fs");
    writeFileSync(
      meta,
      readFileSync(meta, "utf8").replace("lifecycle_stage: active", "lifecycle_stage: deleted"),
    );
    const without = JSON.parse((await exprun(["import", "mlflow", mlruns, "--dry-run", "--json"])).stdout);
    expect(without.runs).toBe(3);
    expect(without.skipped.deletedRuns).toBe(1);
    const withDeleted = JSON.parse(
      (await exprun(["import", "mlflow", mlruns, "--dry-run", "--json", "--include-deleted"])).stdout,
    );
    expect(withDeleted.runs).toBe(4);
  });

  it("exits 1 with what was expected when the path is not an MLflow store", async () => {
    const dir = scratch();
    mkdirSync(path.join(dir, "photos"));
    const result = await exprun(["import", "mlflow", dir, "--dry-run"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `[exprun] [import] ${dir} is not an MLflow store. Expected an mlruns folder (experiment folders with a meta.yaml, as MLflow's FileStore writes them) or an mlflow.db file.`,
    );
    expect(result.stdout).toBe("");
  });
});

describe("exprun import tensorboard", () => {
  it("exits 0 on a truncated file, keeps the records before the cut, and warns on stderr with the byte offset", async () => {
    const dir = scratch();
    const run = path.join(dir, "logs", "train");
    mkdirSync(run, { recursive: true });
    const file = path.join(run, "events.out.tfevents.1637681485.2d662933d616.19.0.v2");
    cpSync(
      path.join(FIXTURES, "tensorboard/katib-tf2/train/events.out.tfevents.1637681485.2d662933d616.19.0.v2"),
      file,
    );
    const { statSync } = await import("node:fs");
    truncateSync(file, statSync(file).size - 10);
    const result = await exprun([
      "import",
      "tensorboard",
      path.join(dir, "logs"),
      "--experiment",
      "katib",
      "--dry-run",
      "--json",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`^warning: ${file.replace(/[.]/g, "\\.")}: truncated record at byte \\d+`),
    );
    const summary = JSON.parse(result.stdout);
    expect(summary.points).toBe(19); // 20 scalars, the last one cut
    expect(summary.warnings).toHaveLength(1);
    expect(summary.skipped).toEqual({ damagedRecords: 1 });
    expect(summary.mapping.runs[0]).toMatchObject({
      experiment: "katib",
      from: "train",
      to: "train",
      points: 19,
    });
  });

  it("exits 1 for a log directory with no event files, and for an invalid --experiment", async () => {
    const dir = scratch();
    const empty = await exprun(["import", "tensorboard", dir, "--experiment", "katib", "--dry-run"]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("No event files under");
    expect(empty.stderr).toContain("Expected a TensorBoard log directory");
    const bad = await exprun([
      "import",
      "tensorboard",
      path.join(FIXTURES, "tensorboard"),
      "--experiment",
      "My Runs",
      "--dry-run",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid experiment name "My Runs"');
    const missing = await exprun(["import", "tensorboard", path.join(FIXTURES, "tensorboard"), "--dry-run"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("--experiment");
  });
});

describe("exprun import wandb", () => {
  it("reads an offline run folder", async () => {
    const result = await exprun([
      "import",
      "wandb",
      path.join(FIXTURES, "wandb/synthesized-core/offline-run-new_explicit_steps"),
      "--dry-run",
      "--json",
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: "wandb", runs: 1, points: 3, experiments: 1 });
  });

  it("exits 1 for a folder that is not a W&B run", async () => {
    const dir = scratch();
    const result = await exprun(["import", "wandb", dir, "--dry-run"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a W&B run. Expected a W&B offline run folder");
  });
});

describe("exprun import --help", () => {
  it("shows each form with examples", async () => {
    for (const sub of ["mlflow", "tensorboard", "wandb"]) {
      const result = await exprun(["import", sub, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("--dry-run");
      expect(result.stdout).toContain("--backend");
      expect(result.stdout).toContain("--json");
      expect(result.stdout).toContain(`$ exprun import ${sub}`);
    }
    expect((await exprun(["import", "mlflow", "--help"])).stdout).toContain("--include-deleted");
    expect((await exprun(["import", "tensorboard", "--help"])).stdout).toContain("--experiment <name>");
  });
});
