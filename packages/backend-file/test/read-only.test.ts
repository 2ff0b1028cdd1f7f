import { spawnSync } from "node:child_process";
import { chmod, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createFileBackend, type FileBackend } from "../src/index.js";
import { dist, requireBuilt } from "./children.js";
import { tempDir } from "./helpers.js";
import { mountTmpfs } from "./mounts.js";

const mount = mountTmpfs("16m");
if (typeof mount === "string") console.log(`[backend-file] read-only filesystem tests skipped: ${mount}`);
const tmpfs = typeof mount === "string" ? undefined : mount;
afterAll(() => tmpfs?.unmount());
afterEach(async () => {
  if (!tmpfs) return;
  tmpfs.remount("rw");
  for (const entry of await readdir(tmpfs.dir)) await rm(path.join(tmpfs.dir, entry), { recursive: true });
});

const ref = { experiment: "e", run: "r" };

async function writeStore(root: string): Promise<void> {
  const backend = createFileBackend({ root });
  await backend.createExperiment({ name: "gone" });
  await backend.deleteExperiment("gone", { deleteBackingTensorboardRuns: false }); // leaves .trash/
  await backend.createExperiment({ name: "e", description: "kept" });
  await backend.createRun("e", { name: "r", state: "RUNNING" });
  await backend.updateRun(ref, { params: { lr: 0.1 } });
  await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 0.5 } }]);
  await backend.createArtifact({ id: "art-a", schemaTitle: "system.Model" });
  await backend.attributeToRun(ref, { artifacts: ["art-a"] });
  await backend.close();
}

async function expectReads(backend: FileBackend): Promise<void> {
  expect((await backend.listExperiments()).items.map((e) => e.description)).toEqual(["kept"]);
  expect((await backend.getRun(ref))?.params).toEqual({ lr: 0.1 });
  expect(
    (await backend.listRuns("e", { withLatestTimeSeries: true })).items[0]?.latestTimeSeries?.loss?.value,
  ).toBe(0.5);
  expect(await readSeriesPoints(backend, ref)).toEqual([
    { metric: "loss", step: 1, wallTime: 1, value: 0.5 },
  ]);
  expect((await backend.listArtifacts({ run: ref })).items.map((a) => a.id)).toEqual(["art-a"]);
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => ({ code: "RESOLVED", message: "resolved" }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

function expectReadOnly(error: { code?: string; message: string }, root: string) {
  expect(error.code, error.message).toBe("BACKEND");
  expect(error.message).toContain("EROFS");
  expect(error.message).toMatch(/read-only/);
  expect(error.message).toContain(root);
  expect(error.message).not.toContain("ENOENT");
}

describe.skipIf(!tmpfs)("a store on a read-only filesystem", () => {
  it("reads fine, and every write reports EROFS with the path", async () => {
    const root = path.join(tmpfs!.dir, "store");
    await writeStore(root);
    tmpfs!.remount("ro");
    const backend = createFileBackend({ root });
    await expectReads(backend);
    expectReadOnly(await rejection(backend.createExperiment({ name: "new" })), root);
    expectReadOnly(await rejection(backend.createRun("e", { name: "r2", state: "RUNNING" })), root);
    expectReadOnly(await rejection(backend.updateRun(ref, { params: { x: 1 } })), root);
    expectReadOnly(
      await rejection(backend.createArtifact({ id: "art-b", schemaTitle: "system.Model" })),
      root,
    );
    await backend.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 0.4 } }]);
    expectReadOnly(await rejection(backend.flush()), root);
    expectReadOnly(await rejection(backend.close()), root);
  });

  it("a new store on a read-only filesystem reports EROFS (not ENOENT) on the first write, and reads as empty", async () => {
    tmpfs!.remount("ro");
    const root = path.join(tmpfs!.dir, "never-created");
    const backend = createFileBackend({ root });
    expect((await backend.listExperiments()).items).toEqual([]);
    expect(await backend.getExperiment("e")).toBeUndefined();
    expectReadOnly(await rejection(backend.createExperiment({ name: "e" })), root);
    expectReadOnly(await rejection(backend.createArtifact({ schemaTitle: "system.Model" })), root);
    await backend.close();
  });
});

describe("a store directory the user cannot write (EACCES)", () => {
  it("reads fine for another user, and writes report EACCES with the path", async () => {
    requireBuilt();
    const parent = await tempDir();
    await chmod(parent, 0o755);
    const root = path.join(parent, "store");
    await writeStore(root);
    // The child loads exprun as root, then becomes "nobody": the checkout may sit in a directory only
    // root can enter (a CI clone under a private temp dir), and only the store is under test.
    const script = `
      const { createFileBackend } = await import(${JSON.stringify(dist)});
      process.setgid(65534);
      process.setuid(65534);
      const b = createFileBackend({ root: process.argv[1] });
      const out = {};
      out.experiments = (await b.listExperiments()).items.map((e) => e.name);
      out.params = (await b.getRun({ experiment: "e", run: "r" }))?.params;
      out.points = 0;
      for await (const c of b.readSeries({ experiment: "e", run: "r" })) out.points += c.steps.length;
      for (const [name, write] of [
        ["createRun", () => b.createRun("e", { name: "mine", state: "RUNNING" })],
        ["createExperiment", () => b.createExperiment({ name: "mine" })],
      ]) {
        out[name] = await write().then(() => "resolved", (e) => ({ code: e.code, message: e.message }));
      }
      process.stdout.write(JSON.stringify(out));`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script, root], {
      encoding: "utf8",
    });
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ experiments: ["e"], params: { lr: 0.1 }, points: 1 });
    for (const name of ["createRun", "createExperiment"]) {
      expect(out[name].code, name).toBe("BACKEND");
      expect(out[name].message).toContain("EACCES");
      expect(out[name].message).toMatch(/permission/i);
      expect(out[name].message).toContain(root);
    }
  });
});
