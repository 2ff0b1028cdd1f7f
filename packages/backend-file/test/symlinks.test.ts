import { spawnSync } from "node:child_process";
import { mkdir, readFile, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";
import { listTree, runDataDir, seriesFile } from "./layout.js";

/** A directory outside the store with files in it, and a snapshot of its tree and contents. */
async function outsideDir(parent: string, name = "outside") {
  const dir = path.join(parent, name);
  await mkdir(path.join(dir, "sub"), { recursive: true });
  await writeFile(path.join(dir, "precious.txt"), "do not delete me\n");
  await writeFile(path.join(dir, "sub", "data.bin"), "1234");
  return { dir, before: await snapshotTree(dir) };
}

async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of listTree(dir)) {
    const full = path.join(dir, entry);
    out[entry] = await readFile(full, "utf8").catch(() => "<dir>");
  }
  return out;
}

async function storeWithRun(root: string, flushed = true) {
  const backend = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
  await backend.createExperiment({ name: "e" });
  await backend.createRun("e", { name: "r", state: "RUNNING" });
  const ref = { experiment: "e", run: "r" };
  await backend.updateRun(ref, { params: { a: 1 } });
  if (flushed) {
    await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
    await backend.flush();
  }
  return { backend, ref };
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => ({ code: "RESOLVED", message: "resolved" }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

/** The error a store gives for a link it refuses to follow: typed, naming the link. */
function expectLinkRefused(error: { code?: string; message: string }, link: string): void {
  expect(error.code, error.message).toBe("BACKEND");
  expect(error.message).toContain(link);
  expect(error.message).toMatch(/symbolic link/);
  expect(error.message).toMatch(/^\[exprun\] \[file\] /);
}

describe("a .trash that is a symbolic link", () => {
  it("is never emptied: reading the store (list, get) deletes nothing outside it", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend } = await storeWithRun(root);
    await backend.close();
    const outside = await outsideDir(parent);
    await rm(path.join(root, ".trash"), { recursive: true, force: true });
    await symlink(outside.dir, path.join(root, ".trash"));

    const reader = createFileBackend({ root });
    expect((await reader.listExperiments()).items.map((e) => e.name)).toEqual(["e"]);
    expect((await reader.listRuns("e")).items.map((r) => r.name)).toEqual(["r"]);
    await reader.close();
    expect(await snapshotTree(outside.dir)).toEqual(outside.before);
  });

  it("a committed relative link (.exprun/.trash -> ..) does not delete the repository around the store", async () => {
    const repo = await tempDir();
    await writeFile(path.join(repo, "README.md"), "# my project\n");
    await mkdir(path.join(repo, "src"));
    await writeFile(path.join(repo, "src", "train.py"), "print('hi')\n");
    const root = path.join(repo, ".exprun");
    const { backend } = await storeWithRun(root);
    await backend.close();
    await rm(path.join(root, ".trash"), { recursive: true, force: true });
    await symlink("..", path.join(root, ".trash")); // as a cloned repository would carry it
    const before = await snapshotTree(repo);

    const reader = createFileBackend({ root });
    expect((await reader.listExperiments()).items.map((e) => e.name)).toEqual(["e"]);
    await reader.createExperiment({ name: "other" });
    await reader.close();
    const after = await snapshotTree(repo);
    for (const [file, content] of Object.entries(before)) expect(after[file], file).toBe(content);
  });

  it("deleting an experiment refuses with an error naming the link, and moves nothing outside", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend } = await storeWithRun(root);
    const outside = await outsideDir(parent);
    await rm(path.join(root, ".trash"), { recursive: true, force: true });
    await symlink(outside.dir, path.join(root, ".trash"));
    const error = await rejection(backend.deleteExperiment("e", { deleteBackingTensorboardRuns: false }));
    expectLinkRefused(error, path.join(root, ".trash"));
    expect(await snapshotTree(outside.dir)).toEqual(outside.before);
    expect((await backend.getExperiment("e"))?.name).toBe("e");
    await backend.close();
  });

  it("entries of .trash that exprun did not create stay, and links inside it are not followed", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend } = await storeWithRun(root);
    await backend.close();
    const outside = await outsideDir(parent);
    const trash = path.join(root, ".trash");
    await mkdir(trash, { recursive: true });
    await writeFile(path.join(trash, "notes.txt"), "mine\n");
    await symlink(outside.dir, path.join(trash, "e.AAAAAAAAAAAA"));
    await mkdir(path.join(trash, "e.BBBBBBBBBBBB"));
    await symlink(outside.dir, path.join(trash, "e.BBBBBBBBBBBB", "inner"));

    const reader = createFileBackend({ root });
    await reader.listExperiments();
    await reader.close();
    expect(await snapshotTree(outside.dir)).toEqual(outside.before);
    expect(await readFile(path.join(trash, "notes.txt"), "utf8")).toBe("mine\n");
  });
});

describe("an experiment directory that is a symbolic link", () => {
  async function linkedExperiment(relative: boolean) {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend, ref } = await storeWithRun(root);
    await backend.close();
    const moved = path.join(parent, "moved-e");
    const link = path.join(root, "experiments", "e");
    await rename(link, moved);
    await symlink(relative ? path.relative(path.dirname(link), moved) : moved, link);
    return { root, ref, link, moved, before: await snapshotTree(moved) };
  }

  for (const relative of [false, true]) {
    it(`(${relative ? "relative" : "absolute"} link) every write is refused naming the link and nothing lands outside`, async () => {
      const { root, ref, link, moved, before } = await linkedExperiment(relative);
      const backend = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
      expectLinkRefused(await rejection(backend.createRun("e", { name: "r2", state: "RUNNING" })), link);
      expectLinkRefused(await rejection(backend.updateRun(ref, { params: { b: 2 } })), link);
      expectLinkRefused(await rejection(backend.updateExperiment("e", { description: "x" })), link);
      const logged = backend
        .appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }])
        .then(() => backend.flush());
      expectLinkRefused(await rejection(logged), link); // refused when buffered, or at the flush
      expectLinkRefused(
        await rejection(backend.deleteRun(ref, { deleteBackingTensorboardRun: false })),
        link,
      );
      expectLinkRefused(
        await rejection(backend.deleteExperiment("e", { deleteBackingTensorboardRuns: false })),
        link,
      );
      expectLinkRefused(await rejection(backend.createExperiment({ name: "e" })), link);
      await backend.close().catch(() => {});
      expect(await snapshotTree(moved)).toEqual(before);
    });
  }

  it("reading it reports the link instead of following it or calling the experiment missing", async () => {
    const { root, ref, link } = await linkedExperiment(false);
    const backend = createFileBackend({ root });
    expectLinkRefused(await rejection(backend.getExperiment("e")), link);
    expectLinkRefused(await rejection(backend.getRun(ref)), link);
    await backend.close();
  });
});

describe("links deeper in the store", () => {
  it("a run's data directory that is a link: flushes are refused, and deleting the run leaves the target alone", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend, ref } = await storeWithRun(root);
    const dataDir = runDataDir(root, "e", "r");
    const outside = await outsideDir(parent);
    await rm(dataDir, { recursive: true });
    await symlink(outside.dir, dataDir);
    await backend.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }]);
    expectLinkRefused(await rejection(backend.flush()), dataDir);
    await backend.deleteRun(ref, { deleteBackingTensorboardRun: false });
    expect(await snapshotTree(outside.dir)).toEqual(outside.before);
    await backend.close().catch(() => {});
  });

  it("a series file that is a link to a file outside is neither appended to nor read", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend, ref } = await storeWithRun(root);
    const file = seriesFile(root, "e", "r");
    const target = path.join(parent, "victim.jsonl");
    await writeFile(target, '{"step":9,"wallTime":9,"values":{"stolen":1}}\n');
    await rm(file);
    await symlink(target, file);
    await backend.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }]);
    expectLinkRefused(await rejection(backend.flush()), file);
    expectLinkRefused(await rejection(readSeriesPoints(createFileBackend({ root }), ref)), file);
    expect(await readFile(target, "utf8")).toBe('{"step":9,"wallTime":9,"values":{"stolen":1}}\n');
    await backend.close().catch(() => {});
  });

  it("a runs.jsonl that is a link to a file outside is never appended to", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend, ref } = await storeWithRun(root, false);
    await backend.close();
    const log = path.join(root, "experiments", "e", "runs.jsonl");
    const target = path.join(parent, "victim.jsonl");
    await writeFile(target, await readFile(log));
    const before = await readFile(target, "utf8");
    await rm(log);
    await symlink(target, log);
    const writer = createFileBackend({ root });
    expectLinkRefused(await rejection(writer.updateRun(ref, { params: { b: 2 } })), log);
    expectLinkRefused(await rejection(writer.createRun("e", { name: "x", state: "RUNNING" })), log);
    expect(await readFile(target, "utf8")).toBe(before);
    await writer.close();
  });

  it("experiments/ and resources/ that are links: creations are refused and nothing is written outside", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const first = createFileBackend({ root });
    await first.listExperiments(); // creates the store marker only
    await first.close();
    const outside = await outsideDir(parent, "outside-experiments");
    const outsideResources = await outsideDir(parent, "outside-resources");
    await symlink(outside.dir, path.join(root, "experiments"));
    await symlink(outsideResources.dir, path.join(root, "resources"));
    const backend = createFileBackend({ root });
    expectLinkRefused(
      await rejection(backend.createExperiment({ name: "e" })),
      path.join(root, "experiments"),
    );
    expectLinkRefused(
      await rejection(backend.createArtifact({ id: "art-a", schemaTitle: "system.Model" })),
      path.join(root, "resources"),
    );
    await backend.close();
    expect(await snapshotTree(outside.dir)).toEqual(outside.before);
    expect(await snapshotTree(outsideResources.dir)).toEqual(outsideResources.before);
  });

  it("a resources/ that is a link: opening the store tidies nothing through it", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const first = createFileBackend({ root });
    await first.listExperiments();
    await first.close();
    const outside = await outsideDir(parent, "outside-resources");
    // A file named like a temp this store writes, of a writer that is dead, old enough to tidy.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const temp = path.join(outside.dir, `.artifacts.jsonl.snapshot.json.${dead}.AAAAAAAAAAAA.tmp`);
    await writeFile(temp, "not exprun's\n");
    await utimes(temp, new Date(0), new Date(0));
    const before = await snapshotTree(outside.dir);
    await symlink(outside.dir, path.join(root, "resources"));
    const backend = createFileBackend({ root });
    await backend.listExperiments();
    await backend.close();
    expect(await snapshotTree(outside.dir)).toEqual(before);
  });

  it("a runs/ directory that is a link: deleting a run is refused naming it, and nothing outside is removed", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const { backend, ref } = await storeWithRun(root);
    const runs = path.join(root, "experiments", "e", "runs");
    const outside = path.join(parent, "outside-runs");
    // The target holds a directory of the very name the delete removes.
    await rename(runs, outside);
    await symlink(outside, runs);
    const before = await snapshotTree(outside);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    expectLinkRefused(await rejection(backend.deleteRun(ref, { deleteBackingTensorboardRun: false })), runs);
    expect(await snapshotTree(outside)).toEqual(before);
    expect((await backend.getRun(ref))?.params).toEqual({ a: 1 });
    await backend.close().catch(() => {});
  });
});
