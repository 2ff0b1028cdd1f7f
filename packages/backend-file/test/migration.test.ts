import { cp, readdir, readFile, rename } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { afterAll, describe, expect, it } from "vitest";
import { createFileBackend, type FileBackend, FORMAT_VERSION } from "../src/index.js";
import { fixture } from "./children.js";
import { tempDir } from "./helpers.js";
import { currentUid } from "./layout.js";
import { mountTmpfs, type Tmpfs } from "./mounts.js";

// test/fixtures/store-v1 was written by @exprun/backend-file at layout version 1 (main at b40ad10,
// before this format change), by test/fixtures/make-v1-store.mjs.
async function v1Store(parent?: string): Promise<string> {
  const root = path.join(parent ?? (await tempDir()), "store");
  await cp(fixture("store-v1"), root, { recursive: true });
  return root;
}

const r1 = { experiment: "exp-a", run: "r1" };
const r2 = { experiment: "exp-a", run: "r2" };

async function expectFixtureContent(backend: FileBackend): Promise<void> {
  const experiments = (await backend.listExperiments()).items;
  expect(experiments.map((e) => e.name)).toEqual(["exp-a", "exp-b"]);
  expect(experiments[0]).toMatchObject({
    description: "the first experiment",
    backingTensorboard: "projects/p/locations/l/tensorboards/1",
  });

  const runs = (await backend.listRuns("exp-a", { withLatestTimeSeries: true })).items;
  expect(runs.map((r) => r.name)).toEqual(["r1", "r2"]);
  const run1 = runs[0]!;
  expect(run1.state).toBe("COMPLETE");
  expect(run1.params).toEqual({ lr: 0.01, opt: "adam", nan: Number.NaN, negzero: -0, flag: true });
  expect(Object.is(run1.params.negzero, -0)).toBe(true);
  expect(run1.metrics).toEqual({ acc: 0.93, inf: Number.POSITIVE_INFINITY });
  expect(run1.tensorboardRun).toBe("projects/p/locations/l/tensorboards/1/experiments/exp-a/runs/r1");
  expect(run1.latestTimeSeries?.loss).toMatchObject({ step: 20, value: 0.05 });
  expect(runs[1]!.params).toEqual({ again: "yes" });

  const series = await readSeriesPoints(backend, r1);
  expect(series).toHaveLength(40);
  expect(series.find((p) => p.metric === "acc" && p.step === 7)?.value).toBeNaN();
  expect(series.filter((p) => p.metric === "loss").map((p) => p.step)).toEqual(
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  expect(await readSeriesPoints(backend, r2)).toEqual([{ metric: "fresh", step: 5, wallTime: 5, value: 5 }]);

  expect((await backend.listRuns("exp-b")).items.map((r) => [r.name, r.params])).toEqual([
    ["kept", { k: 1 }],
  ]);
  expect(await backend.getRun({ experiment: "exp-b", run: "gone" })).toBeUndefined();

  const artifact = await backend.getArtifact("model-1");
  expect(artifact).toMatchObject({ schemaTitle: "system.Model", uri: "gs://b/model" });
  expect(artifact?.metadata).toEqual({ framework: "torch", layers: [1, 2, 3], score: Number.NaN });
  const execution = await backend.getExecution("train-1");
  expect(execution).toMatchObject({
    state: "COMPLETE",
    metadata: { image: "trainer:1", seconds: 12 },
    outputArtifacts: ["model-1"],
  });
  expect((await backend.listArtifacts({ run: r1 })).items.map((a) => a.id)).toEqual(["model-1"]);
  expect((await backend.listExecutions({ run: r1 })).items.map((e) => e.id)).toEqual(["train-1"]);
  expect(await backend.listRunChildren(r1)).toEqual([
    {
      schemaTitle: "system.PipelineRun",
      resourceName: "projects/p/locations/l/pipelineJobs/j1",
      displayName: "job 1",
    },
  ]);
}

describe("upgrading a store written by layout version 1", () => {
  it("the fixture really is layout 1", async () => {
    const marker = JSON.parse(await readFile(path.join(fixture("store-v1"), "exprun-store.json"), "utf8"));
    expect(marker).toMatchObject({ format: "exprun-file-store", version: 1 });
    expect(FORMAT_VERSION).toBeGreaterThan(1);
  });

  it("opening it migrates to the current layout; every record and point reads back as layout 1 wrote it", async () => {
    const root = await v1Store();
    const backend = createFileBackend({ root });
    await expectFixtureContent(backend);
    const marker = JSON.parse(await readFile(path.join(root, "exprun-store.json"), "utf8"));
    expect(marker).toMatchObject({ format: "exprun-file-store", version: FORMAT_VERSION });
    // Run data now lives in one directory per incarnation; the deleted run's leftover is gone.
    const runsA = (await readdir(path.join(root, "experiments", "exp-a", "runs"))).sort();
    expect(runsA).toHaveLength(2);
    expect(runsA.every((d) => /^r[12]\.[A-Za-z0-9_-]{12}$/.test(d))).toBe(true);
    expect(await readdir(path.join(root, "experiments", "exp-b", "runs"))).toEqual([]);
    await backend.close();
    // A second open finds nothing to do, and a fresh process reads the same.
    const again = createFileBackend({ root });
    await expectFixtureContent(again);
    await again.close();
  });

  it("after the upgrade the store is written as usual, and a re-created run does not see the deleted run's leftover", async () => {
    const root = await v1Store();
    const backend = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
    await backend.appendTimeSeries(r1, [{ step: 21, wallTime: 21, values: { loss: 0.04 } }]);
    await backend.updateRun(r1, { params: { added: 1 } });
    await backend.flush();
    await backend.createRun("exp-b", { name: "gone", state: "RUNNING" });
    expect(await readSeriesPoints(backend, { experiment: "exp-b", run: "gone" })).toEqual([]);
    const fresh = createFileBackend({ root });
    expect(await readSeriesPoints(fresh, r1)).toHaveLength(41);
    expect((await fresh.latestTimeSeries(r1)).loss).toMatchObject({ step: 21, value: 0.04 });
    expect((await fresh.getRun(r1))?.params.added).toBe(1);
    await backend.close();
    await fresh.close();
  });

  it("a migration cut short finishes on the next open, and re-running it changes nothing", async () => {
    const root = await v1Store();
    const runs = path.join(root, "experiments", "exp-a", "runs");
    // As a migrator killed after its first rename would leave it.
    await rename(path.join(runs, "r1"), path.join(runs, `r1.${currentUid(root, "exp-a", "r1")}`));
    const backend = createFileBackend({ root });
    await expectFixtureContent(backend);
    await backend.close();
    const { MIGRATIONS } = await import("../src/store-format.js");
    await MIGRATIONS[1]!(root);
    const again = createFileBackend({ root });
    await expectFixtureContent(again);
    await again.close();
  });
});

let ro: Tmpfs | undefined;
afterAll(() => ro?.unmount());

describe("a layout-1 store on a read-only filesystem", () => {
  it("reads without being migrated, and writes say why they cannot", async () => {
    const mount = mountTmpfs("4m");
    if (typeof mount === "string") {
      console.log(`[backend-file] read-only migration test skipped: ${mount}`);
      return;
    }
    ro = mount;
    const root = await v1Store(mount.dir);
    mount.remount("ro");
    const backend = createFileBackend({ root });
    await expectFixtureContent(backend);
    const error = await backend.createRun("exp-a", { name: "new", state: "RUNNING" }).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(error?.code).toBe("BACKEND");
    expect(error?.message).toMatch(/read-only/);
    expect(error?.message).toContain(root);
    await backend.close();
  });
});
