import { execFileSync, spawnSync } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { dist, requireBuilt } from "./children.js";
import { tempDir } from "./helpers.js";
import { seriesFile } from "./layout.js";

// A FIFO, a socket or a device where the store keeps a regular file (put there by hand, or by a
// hostile repository) must be refused naming it: a read must not hang on a FIFO, and a write must not
// go to a device (a /dev/null twin would swallow acknowledged points; a disk node would be written).
// Every check runs in a child process with a time limit, so a hang fails the test instead of the run.

requireBuilt();
const packageDir = path.dirname(path.dirname(dist));

/** Runs `body` (with `backend` bound to the store at `root`) in a child; resolves what it printed. */
function inChild(root: string, body: string): string {
  const script = `
    const { createFileBackend } = await import(${JSON.stringify(dist)});
    const backend = createFileBackend({ root: ${JSON.stringify(root)}, timeSeriesFlushIntervalMs: 0 });
    const ref = { experiment: "e", run: "r" };
    const outcome = async (p) => p.then(() => "resolved", (e) => e.code + " " + e.message);
    ${body}
    await backend.close().catch(() => {});`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: packageDir,
    encoding: "utf8",
    timeout: 20_000,
  });
  if (child.error || child.signal) return `hung or failed: ${child.error?.message ?? child.signal}`;
  return `${child.stdout}${child.stderr}`;
}

async function storeWithRun(root: string) {
  const backend = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
  await backend.createExperiment({ name: "e" });
  await backend.createRun("e", { name: "r", state: "RUNNING" });
  const ref = { experiment: "e", run: "r" };
  await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
  await backend.flush();
  await backend.close();
}

function expectRefused(output: string, file: string) {
  expect(output).toContain("BACKEND");
  expect(output).toContain(file);
  expect(output).toMatch(/not a regular file/);
  expect(output).not.toMatch(/hung or failed/);
}

const canMknod = (() => {
  try {
    execFileSync("mknod", ["--help"], { stdio: "ignore" });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();
if (!canMknod) console.log("[backend-file] device-node case skipped: mknod needs root");

describe("a FIFO or device where the store keeps a file", () => {
  for (const name of ["experiment.jsonl", "runs.jsonl"]) {
    it(`a FIFO as ${name}: reads and writes are refused naming it, without hanging`, async () => {
      const root = await tempDir();
      await storeWithRun(root);
      const file = path.join(root, "experiments", "e", name);
      await rm(file);
      execFileSync("mkfifo", [file]);
      const output = inChild(
        root,
        `console.log("list", await outcome(backend.listRuns("e")));
         console.log("update", await outcome(backend.updateRun(ref, { params: { a: 1 } })));`,
      );
      expectRefused(output, file);
      expect(output).not.toMatch(/resolved/);
    }, 30_000);
  }

  it("a FIFO as a series file: reads and flushes are refused naming it, without hanging", async () => {
    const root = await tempDir();
    await storeWithRun(root);
    const file = seriesFile(root, "e", "r");
    await rm(file);
    execFileSync("mkfifo", [file]);
    const output = inChild(
      root,
      `const { readSeriesPoints } = await import("@exprun/core");
       console.log("read", await outcome(readSeriesPoints(backend, ref)));
       await backend.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }]);
       console.log("flush", await outcome(backend.flush()));`,
    );
    expectRefused(output, file);
    expect(output).not.toMatch(/resolved/);
  }, 30_000);

  it.skipIf(!canMknod)(
    "a character device as a series file is never written to: the flush rejects naming it",
    async () => {
      const root = await tempDir();
      await storeWithRun(root);
      const file = seriesFile(root, "e", "r");
      await rm(file);
      execFileSync("mknod", ["-m", "666", file, "c", "1", "3"]); // a /dev/null twin: writes vanish
      const output = inChild(
        root,
        `await backend.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }]);
       console.log("flush", await outcome(backend.flush()));`,
      );
      expectRefused(output, file);
      expect(output).not.toMatch(/flush resolved/);
    },
    30_000,
  );
});
