import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { SNAPSHOT_VERSION } from "../src/log-view.js";
import { tempDir } from "./helpers.js";

async function bigExperiment(root: string, runs: number) {
  const backend = createFileBackend({ root, fsync: false });
  await backend.createExperiment({ name: "big" });
  const params: Record<string, number | string> = {};
  for (let k = 0; k < 20; k++) params[`param_${k}`] = k % 2 ? k : `value-${k}`;
  for (let i = 0; i < runs; i++) {
    const ref = { experiment: "big", run: `run-${i}` };
    await backend.createRun("big", { name: ref.run, state: "RUNNING" });
    await backend.updateRun(ref, { params, metrics: { acc: i / runs, nan: Number.NaN } });
  }
  await backend.appendTimeSeries({ experiment: "big", run: "run-1" }, [
    { step: 5, wallTime: 5, values: { loss: 0.5 } },
  ]);
  await backend.close();
}

describe("the runs snapshot", () => {
  it("one whose logBytes is not at a line end (damaged) is ignored: the log is the truth", async () => {
    const root = await tempDir();
    await bigExperiment(root, 2500);
    const snapshot = path.join(root, "experiments", "big", "runs.snapshot.json");
    const json = JSON.parse(await readFile(snapshot, "utf8"));
    const expected = (await createFileBackend({ root }).listRuns("big")).items;
    for (const logBytes of [-1, 0.5, json.logBytes + 0.5]) {
      await writeFile(snapshot, JSON.stringify({ ...json, logBytes }));
      expect((await createFileBackend({ root }).listRuns("big")).items).toEqual(expected);
    }
    await writeFile(snapshot, JSON.stringify({ ...json, logBytes: json.logBytes - 7 }));
    const backend = createFileBackend({ root });
    expect((await backend.listRuns("big")).items).toEqual(expected);
    await backend.createRun("big", { name: "one-more", state: "RUNNING" });
    expect((await createFileBackend({ root }).listRuns("big")).items).toHaveLength(2501);
    await backend.close();
  }, 60_000);

  it("is written once the log grows, and a fresh reader gets the same runs from it", async () => {
    const root = await tempDir();
    await bigExperiment(root, 2500);
    const snapshot = path.join(root, "experiments", "big", "runs.snapshot.json");
    const log = path.join(root, "experiments", "big", "runs.jsonl");
    const json = JSON.parse(await readFile(snapshot, "utf8"));
    expect(json).toMatchObject({ format: "exprun-file-snapshot", version: SNAPSHOT_VERSION });
    expect(json.logBytes).toBeLessThanOrEqual((await stat(log)).size);

    const fromSnapshot = (await createFileBackend({ root }).listRuns("big", { withLatestTimeSeries: true }))
      .items;
    await writeFile(snapshot, "{ not a snapshot");
    const fromLog = (await createFileBackend({ root }).listRuns("big", { withLatestTimeSeries: true })).items;
    expect(fromSnapshot).toHaveLength(2500);
    expect(fromSnapshot).toEqual(fromLog);
    expect(fromSnapshot[1]!.latestTimeSeries?.loss).toEqual({
      metric: "loss",
      step: 5,
      wallTime: 5,
      value: 0.5,
    });
    expect(fromSnapshot[7]!.metrics.nan).toBeNaN();
  }, 60_000);

  it("pages through runs in creation order with tokens that survive added runs", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root, fsync: false });
    await backend.createExperiment({ name: "e" });
    for (let i = 0; i < 5; i++) await backend.createRun("e", { name: `r${i}`, state: "RUNNING" });
    const first = await backend.listRuns("e", { pageSize: 2 });
    await backend.createRun("e", { name: "r5", state: "RUNNING" });
    await backend.deleteRun({ experiment: "e", run: "r0" }, { deleteBackingTensorboardRun: false });
    const second = await backend.listRuns("e", { pageSize: 10, pageToken: first.nextPageToken });
    expect(first.items.map((r) => r.name)).toEqual(["r0", "r1"]);
    expect(second.items.map((r) => r.name)).toEqual(["r2", "r3", "r4", "r5"]);
    expect(second.nextPageToken).toBeUndefined();
    await backend.close();
  });
});
