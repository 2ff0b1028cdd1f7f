import { appendFile, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";
import { seriesFile } from "./layout.js";

// A series file shorter than what flushes made durable was truncated (or emptied, or removed): that is
// an error naming the file, never a silently shorter series. A chunk cut short by a killed writer is
// not: its points were never acknowledged, and the run's records never claimed them.

const E = "e";
const ref = { experiment: E, run: "r" };
const other = { experiment: E, run: "other" };
const writes = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    step: from + i,
    wallTime: 1_700_000_000_000 + from + i,
    values: { loss: 1 / (from + i), acc: (from + i) / 3 },
  }));

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => ({ code: "RESOLVED", message: "resolved" }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

/** Two runs with 3 flushes of 500 steps each (the last by endRun); resolves the store root. */
async function store(flushIntervalMs = 0): Promise<string> {
  const root = await tempDir();
  const backend = createFileBackend({ root, timeSeriesFlushIntervalMs: flushIntervalMs });
  await backend.createExperiment({ name: E });
  for (const r of [ref, other]) {
    await backend.createRun(E, { name: r.run, state: "RUNNING" });
    for (let i = 0; i < 3; i++) {
      await backend.appendTimeSeries(r, writes(1 + 500 * i, 500));
      if (i < 2) await backend.flush();
    }
    await backend.updateRun(r, { state: "COMPLETE", params: { kept: 1 } }); // endRun: flushes durably
  }
  await backend.close();
  return root;
}

describe("a truncated series file", () => {
  for (const [what, damage] of [
    ["cut inside its last chunk", async (file: string) => truncate(file, (await stat(file)).size - 100)],
    ["emptied (: > timeseries.jsonl)", async (file: string) => writeFile(file, "")],
    [
      "cut at a chunk boundary",
      async (file: string) => {
        const text = await readFile(file, "utf8");
        await writeFile(file, text.slice(0, text.lastIndexOf('{"chunk":"')));
      },
    ],
    ["removed", async (file: string) => rm(file)],
  ] as const) {
    it(`${what}: reads reject naming the file; the run's records and other runs still read`, async () => {
      const root = await store();
      const file = seriesFile(root, E, "r");
      await damage(file);
      const backend = createFileBackend({ root });
      const error = await rejection(readSeriesPoints(backend, ref));
      expect(error.code, error.message).toBe("BACKEND");
      expect(error.message).toContain(file);
      expect(error.message).toMatch(/truncated/);
      expect(error.message).toMatch(/loss@1500|acc@1500/);
      expect((await backend.getRun(ref))?.params).toEqual({ kept: 1 });
      expect(await readSeriesPoints(backend, other)).toHaveLength(3000);
      // A read of steps the cut did not reach still works.
      expect(await readSeriesPoints(backend, ref, { steps: { from: 1, to: 10 } })).toHaveLength(
        what === "cut inside its last chunk" || what === "cut at a chunk boundary" ? 20 : 0,
      );
      await backend.close();
    });
  }

  it("points flushed by the timer and made durable by endRun are owed too", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root, timeSeriesFlushIntervalMs: 10 });
    await backend.createExperiment({ name: E });
    await backend.createRun(E, { name: "r", state: "RUNNING" });
    await backend.appendTimeSeries(ref, writes(1, 100));
    const file = seriesFile(root, E, "r");
    // Wait until the timer has appended them (and recorded their latest point, not durably).
    while ((await stat(file).catch(() => undefined))?.size === undefined)
      await new Promise((r) => setTimeout(r, 10));
    while (!(await readFile(`${root}/experiments/${E}/runs.jsonl`, "utf8")).includes('"op":"latest"')) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await backend.updateRun(ref, { state: "COMPLETE" }); // nothing left to append: only makes them durable
    await backend.close();
    await writeFile(file, "");
    const error = await rejection(readSeriesPoints(createFileBackend({ root }), ref));
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/truncated/);
  });

  it("a chunk cut short at the end by a killed writer is no error: its points were never acknowledged", async () => {
    const root = await store();
    const file = seriesFile(root, E, "r");
    await appendFile(
      file,
      '{"chunk":"killed.0","bytes":5000,"steps":[9000,9100]}\n{"step":9000,"wallTime":1,"val',
    );
    const points = await readSeriesPoints(createFileBackend({ root }), ref);
    expect(points).toHaveLength(3000);
  });

  it("a store written without fsync makes no such claims: a cut file reads shorter, as before", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root, fsync: false, timeSeriesFlushIntervalMs: 0 });
    await backend.createExperiment({ name: E });
    await backend.createRun(E, { name: "r", state: "RUNNING" });
    await backend.appendTimeSeries(ref, writes(1, 10));
    await backend.flush();
    await backend.close();
    await writeFile(seriesFile(root, E, "r"), "");
    expect(await readSeriesPoints(createFileBackend({ root }), ref)).toEqual([]);
  });
});
