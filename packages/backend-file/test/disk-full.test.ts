import { closeSync, fstatSync, ftruncateSync, openSync, rmSync, writeSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createFileBackend, type FileBackend } from "../src/index.js";
import { mountTmpfs } from "./mounts.js";

// A real 2 MiB tmpfs: writes fail with ENOSPC exactly as on a full disk, including short writes that
// leave part of a record behind.
const mount = mountTmpfs("2m");
if (typeof mount === "string") console.log(`[backend-file] disk-full tests skipped: ${mount}`);
const tmpfs = typeof mount === "string" ? undefined : mount;
afterAll(() => tmpfs?.unmount());
afterEach(async () => {
  if (!tmpfs) return;
  for (const entry of await readdir(tmpfs.dir)) await rm(path.join(tmpfs.dir, entry), { recursive: true });
});

/** Fills the filesystem, leaving about `leave` bytes free; `free()` gives the space back. */
function fillDisk(dir: string, leave = 0): { free(): void } {
  const file = path.join(dir, "filler");
  const fd = openSync(file, "w");
  const block = Buffer.alloc(64 * 1024, 120);
  for (const size of [block.length, 4096, 512, 1]) {
    try {
      for (;;) writeSync(fd, block, 0, size);
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOSPC") throw error;
    }
  }
  if (leave > 0) ftruncateSync(fd, Math.max(0, fstatSync(fd).size - leave));
  closeSync(fd);
  return { free: () => rmSync(file, { force: true }) };
}

const E = "e";
const ref = { experiment: E, run: "r" };
const N = 2001;
const writes = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({
    step: from + i,
    wallTime: 1_700_000_000_000 + from + i,
    values: { loss: 1 / (from + i), acc: (from + i) / 3 },
  }));

async function rejection(promise: Promise<unknown> | undefined): Promise<{ code?: string; message: string }> {
  return (promise ?? Promise.resolve()).then(
    () => ({ code: "RESOLVED", message: "resolved" }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

function expectDiskFull(error: { code?: string; message: string }) {
  expect(error.code, error.message).toBe("BACKEND");
  expect(error.message).toMatch(/ENOSPC|no space/i);
  expect(error.message).toContain(tmpfs!.dir);
}

async function storeOnTmpfs(flushIntervalMs = 0): Promise<{ root: string; backend: FileBackend }> {
  const root = path.join(tmpfs!.dir, "store");
  const backend = createFileBackend({ root, timeSeriesFlushIntervalMs: flushIntervalMs });
  await backend.createExperiment({ name: E });
  await backend.createRun(E, { name: "r", state: "RUNNING" });
  return { root, backend };
}

/** Every (metric, step) read back, with how often it appears. */
async function stored(root: string) {
  const points = await readSeriesPoints(createFileBackend({ root }), ref);
  const counts = new Map<string, number>();
  for (const p of points) counts.set(`${p.metric}@${p.step}`, (counts.get(`${p.metric}@${p.step}`) ?? 0) + 1);
  return { points, counts };
}

describe.skipIf(!tmpfs)("a full disk (a real 2 MiB tmpfs)", () => {
  it(`a failed flush keeps all ${N} points; every flush, endRun and close rejects until space is freed, then all are written once`, async () => {
    const { root, backend } = await storeOnTmpfs();
    await backend.appendTimeSeries(ref, writes(N));
    const disk = fillDisk(tmpfs!.dir, 48 * 1024); // room for part of the chunk: a short write
    expectDiskFull(await rejection(backend.flush()));
    disk.free();
    const full = fillDisk(tmpfs!.dir); // now nothing fits
    expectDiskFull(await rejection(backend.flush()));
    expectDiskFull(await rejection(backend.updateRun(ref, { state: "COMPLETE" })));
    expectDiskFull(await rejection(backend.flush()));
    expectDiskFull(await rejection(backend.close()));
    full.free();

    await backend.flush();
    await backend.updateRun(ref, { state: "COMPLETE" });
    const { points, counts } = await stored(root);
    expect(points).toHaveLength(2 * N);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect(points.filter((p) => p.metric === "loss").map((p) => p.step)).toEqual(
      writes(N).map((w) => w.step),
    );
    const latest = await createFileBackend({ root }).latestTimeSeries(ref);
    expect(latest.loss).toMatchObject({ step: N, value: 1 / N });
    await backend.close();
  });

  it("the timer flush failing on a full disk does not let a later flush() resolve while the disk is still full", async () => {
    const { root, backend } = await storeOnTmpfs(10);
    const disk = fillDisk(tmpfs!.dir);
    await backend.appendTimeSeries(ref, writes(N));
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10)); // let the timer try
    expectDiskFull(await rejection(backend.flush()));
    expectDiskFull(await rejection(backend.flush()));
    disk.free();
    await backend.flush();
    const { points, counts } = await stored(root);
    expect(points).toHaveLength(2 * N);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    await backend.close();
  });

  it("a chunk cut short by the full disk never corrupts the log for other writers", async () => {
    const { root, backend } = await storeOnTmpfs();
    await backend.appendTimeSeries(ref, writes(N));
    const disk = fillDisk(tmpfs!.dir, 48 * 1024);
    expectDiskFull(await rejection(backend.flush()));
    disk.free();
    // Another process appends after the partial chunk before the first one retries.
    const other = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
    await other.appendTimeSeries(ref, [{ step: 5000, wallTime: 1, values: { other: 1 } }]);
    await other.flush();
    await backend.flush();
    const { points, counts } = await stored(root);
    expect(points).toHaveLength(2 * N + 1);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    await backend.close();
    await other.close();
  });

  it("a metadata write on a full disk rejects naming the file; acknowledged writes stay and the log reads after space is freed", async () => {
    const { root, backend } = await storeOnTmpfs();
    await backend.updateRun(ref, { params: { kept: 1 } });
    const disk = fillDisk(tmpfs!.dir, 64);
    const big = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p${i}`, "x".repeat(40)]));
    const error = await rejection(backend.updateRun(ref, { params: big }));
    expectDiskFull(error);
    expect(error.message).toContain(path.join(root, "experiments", E, "runs.jsonl"));
    disk.free();
    await backend.updateRun(ref, { params: { after: 2 } });
    expect((await createFileBackend({ root }).getRun(ref))?.params).toEqual({ kept: 1, after: 2 });
    await backend.close();
  });

  it("a run delete that fails on a full disk changes nothing: the run and its buffered points stay", async () => {
    const { root, backend } = await storeOnTmpfs();
    await backend.appendTimeSeries(ref, writes(10));
    const disk = fillDisk(tmpfs!.dir);
    // The last page of runs.jsonl may still have room: fill it with writes until one fails.
    for (let i = 0; i < 10_000; i++) {
      if ((await rejection(backend.updateRun(ref, { params: { pad: i } }))).code !== "RESOLVED") break;
    }
    expectDiskFull(await rejection(backend.deleteRun(ref, { deleteBackingTensorboardRun: false })));
    disk.free();
    expect(await backend.getRun(ref)).toBeDefined();
    await backend.flush();
    const { points } = await stored(root);
    expect(points).toHaveLength(20);
    await backend.close();
  });
});
