import { spawnSync } from "node:child_process";
import { readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { dist, requireBuilt, startConversation } from "./children.js";
import { tempDir } from "./helpers.js";

const HOUR_AGO = new Date(Date.now() - 3600_000);

/** A pid no process has: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

const temps = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith(".tmp")).sort();

describe("temp files of writers that died", () => {
  it("a snapshot temp left by a writer SIGKILLed mid-snapshot is removed when the experiment is next read", async () => {
    requireBuilt();
    const root = await tempDir();
    const setup = createFileBackend({ root, fsync: false });
    await setup.createExperiment({ name: "e" });
    await setup.close();
    // The child writes enough runs for a snapshot, and stalls in the rename that would publish it.
    const script = `
      import fs from "node:fs";
      import { syncBuiltinESMExports } from "node:module";
      const realRename = fs.promises.rename;
      fs.promises.rename = async (from, to) => {
        if (String(to).endsWith("runs.snapshot.json")) {
          process.stdout.write("stalled\\n");
          await new Promise(() => {});
        }
        return realRename(from, to);
      };
      syncBuiltinESMExports();
      const { createFileBackend } = await import(${JSON.stringify(dist)});
      const b = createFileBackend({ root: process.argv[1], fsync: false });
      const params = Object.fromEntries(Array.from({ length: 20 }, (_, k) => ["param_" + k, "value-" + k]));
      for (let i = 0; i < 3000; i++) {
        await b.createRun("e", { name: "run-" + i, state: "RUNNING" });
        await b.updateRun({ experiment: "e", run: "run-" + i }, { params });
      }
      process.stdout.write("done\\n");`;
    const writer = startConversation("--input-type=module", ["-e", script, root]);
    await writer.waitFor("stalled");
    writer.child.kill("SIGKILL");
    await writer.done;
    const dir = path.join(root, "experiments", "e");
    const stray = await temps(dir);
    expect(stray).toHaveLength(1);
    // As if the kill happened a while ago (a temp younger than a few seconds may be a live writer's).
    await utimes(path.join(dir, stray[0]!), HOUR_AGO, HOUR_AGO);

    const reader = createFileBackend({ root });
    expect((await reader.listRuns("e")).items.length).toBeGreaterThan(0);
    expect(await temps(dir)).toEqual([]);
    await reader.close();
  }, 120_000);

  it("open removes temps of dead writers everywhere in the store, keeps live writers' and anything it did not create", async () => {
    const root = await tempDir();
    const setup = createFileBackend({ root });
    await setup.createExperiment({ name: "e" });
    await setup.createArtifact({ id: "art-a", schemaTitle: "system.Model" });
    await setup.close();
    const dead = deadPid();
    const dirs = {
      root,
      resources: path.join(root, "resources"),
      experiments: path.join(root, "experiments"),
      e: path.join(root, "experiments", "e"),
    };
    const strays = [
      path.join(dirs.e, ".runs.snapshot.json.AbCdEfGhIjKl.tmp"), // written by a layout-1 writer
      path.join(dirs.e, `.runs.snapshot.json.${dead}.Q1w2E3r4T5y6.tmp`),
      path.join(dirs.e, `.experiment.jsonl.${dead}.Z9x8C7v6B5n4.tmp`),
      path.join(dirs.resources, `.artifacts.jsonl.snapshot.json.${dead}.Mn0bV9cX8zL7.tmp`),
      path.join(dirs.root, `.exprun-store.json.${dead}.Pp1Oo2Ii3Uu4.tmp`),
    ];
    const kept = [
      path.join(dirs.e, `.runs.snapshot.json.${process.pid}.LiveWriter01.tmp`), // a live writer's
      path.join(dirs.e, ".my-notes.tmp"), // not a name exprun writes
      path.join(dirs.e, "notes.tmp"),
      path.join(dirs.root, ".editor.swp.tmp"),
    ];
    for (const file of [...strays, ...kept]) {
      await writeFile(file, "partial");
      await utimes(file, HOUR_AGO, HOUR_AGO);
    }
    const fresh = path.join(dirs.e, ".runs.snapshot.json.FreshLegacy1.tmp"); // young: maybe still being written
    await writeFile(fresh, "partial");

    const backend = createFileBackend({ root });
    expect((await backend.listRuns("e")).items).toEqual([]);
    expect((await backend.listArtifacts()).items).toHaveLength(1);
    await backend.close();
    const left = [
      ...(await temps(dirs.root)).map((n) => path.join(dirs.root, n)),
      ...(await temps(dirs.resources)).map((n) => path.join(dirs.resources, n)),
      ...(await temps(dirs.e)).map((n) => path.join(dirs.e, n)),
    ].sort();
    expect(left).toEqual([...kept, fresh].sort());
  });
});
