import { spawnSync } from "node:child_process";
import { appendFile, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { dist, requireBuilt } from "./children.js";
import { tempDir } from "./helpers.js";
import { seriesFile } from "./layout.js";

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as { code?: string; message: string },
  );
}

async function twoExperiments(root: string) {
  const backend = createFileBackend({ root });
  for (const name of ["good", "bad"]) {
    await backend.createExperiment({ name });
    await backend.createRun(name, { name: "r", state: "RUNNING" });
    await backend.updateRun({ experiment: name, run: "r" }, { params: { a: 1 } });
  }
  return backend;
}

describe("corrupt and foreign files", () => {
  it("a complete corrupt line in the middle of a log is a BackendError naming the file; other experiments still read", async () => {
    const root = await tempDir();
    const backend = await twoExperiments(root);
    const log = path.join(root, "experiments", "bad", "runs.jsonl");
    await appendFile(log, "this is not json\n");
    await backend.updateRun({ experiment: "good", run: "r" }, { params: { b: 2 } });

    const fresh = createFileBackend({ root });
    const error = await rejection(fresh.listRuns("bad"));
    expect(error.code).toBe("BACKEND");
    expect(error.message).toContain(log);
    expect(error.message).toMatch(/^\[exprun\] \[file\] /);
    expect((await fresh.getRun({ experiment: "good", run: "r" }))?.params).toEqual({ a: 1, b: 2 });
    expect((await fresh.listExperiments()).items.map((e) => e.name)).toEqual(["bad", "good"]);
    await backend.close();
  });

  it("a foreign JSON record is reported with its path", async () => {
    const root = await tempDir();
    const backend = await twoExperiments(root);
    const log = path.join(root, "experiments", "bad", "runs.jsonl");
    await appendFile(log, '{"hello":"world"}\n');
    const error = await rejection(createFileBackend({ root }).getRun({ experiment: "bad", run: "r" }));
    expect(error.code).toBe("BACKEND");
    expect(error.message).toContain(log);
    await backend.close();
  });

  it("a corrupt experiment file is reported with its path; the other experiment still reads", async () => {
    const root = await tempDir();
    const backend = await twoExperiments(root);
    const file = path.join(root, "experiments", "bad", "experiment.jsonl");
    await writeFile(file, "garbage\n");
    const error = await rejection(backend.getExperiment("bad"));
    expect(error.message).toContain(file);
    expect((await backend.getExperiment("good"))?.name).toBe("good");
    expect((await backend.listRuns("good")).items).toHaveLength(1);
    await backend.close();
  });

  it("a corrupt time-series file is reported with its path; the run's params still read", async () => {
    const root = await tempDir();
    const backend = await twoExperiments(root);
    const ref = { experiment: "bad", run: "r" };
    await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
    await backend.flush();
    const file = seriesFile(root, "bad", "r");
    await appendFile(file, "[1,2,3]\n");
    const error = await rejection(readSeriesPoints(backend, ref));
    expect(error.message).toContain(file);
    expect((await backend.getRun(ref))?.params).toEqual({ a: 1 });
    await backend.close();
  });

  it("foreign files and directories in the store are ignored by listings", async () => {
    const root = await tempDir();
    const backend = await twoExperiments(root);
    await writeFile(path.join(root, "experiments", "notes.txt"), "hello");
    await mkdir(path.join(root, "experiments", "Not An Experiment"));
    await mkdir(path.join(root, "experiments", "empty-dir"));
    expect((await backend.listExperiments()).items.map((e) => e.name)).toEqual(["bad", "good"]);
    await backend.close();
  });

  it("a foreign store marker is a BackendError naming it", async () => {
    const root = await tempDir();
    await writeFile(path.join(root, "exprun-store.json"), '{"something":"else"}');
    const error = await rejection(createFileBackend({ root }).listExperiments());
    expect(error.code).toBe("BACKEND");
    expect(error.message).toContain(path.join(root, "exprun-store.json"));
  });
});

describe("leftovers of crashed processes", () => {
  it("a deletion cut short in .trash/ and stray temp files do not show, and the trash is emptied on open", async () => {
    const root = await tempDir();
    const backend = await twoExperiments(root);
    await mkdir(path.join(root, ".trash", "old.AbCdEfGh-_12", "runs"), { recursive: true });
    await writeFile(path.join(root, "experiments", "good", ".runs.jsonl.x1.tmp"), "partial");
    const fresh = createFileBackend({ root });
    expect((await fresh.listExperiments()).items.map((e) => e.name)).toEqual(["bad", "good"]);
    expect(await readdir(path.join(root, ".trash"))).toEqual([]);
    expect((await fresh.listRuns("good")).items.map((r) => r.name)).toEqual(["r"]);
    await backend.close();
  });
});

describe("permissions", () => {
  it("files and directories follow the umask of the writing process", async () => {
    requireBuilt();
    const root = await tempDir();
    const script = `
      import { createFileBackend } from ${JSON.stringify(dist)};
      const b = createFileBackend({ root: process.argv[1] });
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      await b.appendTimeSeries({ experiment: "e", run: "r" }, [{ step: 1, wallTime: 1, values: { x: 1 } }]);
      await b.createArtifact({ schemaTitle: "system.Model" });
      await b.close();`;
    for (const [umask, fileMode, dirMode] of [
      ["027", 0o640, 0o750],
      ["002", 0o664, 0o775],
    ] as const) {
      const store = path.join(root, umask);
      const result = spawnSync(
        "sh",
        [
          "-c",
          `umask ${umask} && exec "$0" --input-type=module -e "$1" "$2"`,
          process.execPath,
          script,
          store,
        ],
        {
          encoding: "utf8",
        },
      );
      expect(result.status, result.stderr).toBe(0);
      const walk = async (dir: string): Promise<string[]> => {
        const out: string[] = [];
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          out.push(full);
          if (entry.isDirectory()) out.push(...(await walk(full)));
        }
        return out;
      };
      const entries = await walk(store);
      expect(entries.length).toBeGreaterThan(6);
      for (const entry of entries) {
        const info = await stat(entry);
        expect((info.mode & 0o777).toString(8), entry).toBe(
          (info.isDirectory() ? dirMode : fileMode).toString(8),
        );
      }
    }
  });
});
