import { readdir } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { fixture, requireBuilt, startConversation } from "./children.js";
import { tempDir } from "./helpers.js";

const E = "e";
const ref = { experiment: E, run: "r" };
const noTensorboard = { deleteBackingTensorboardRun: false };

async function store() {
  const root = await tempDir();
  const setup = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
  await setup.createExperiment({ name: E });
  await setup.createRun(E, { name: "r", state: "RUNNING" });
  return { root, setup };
}

const points = (n: number, metric = "loss", from = 1) =>
  Array.from({ length: n }, (_, i) => ({ step: from + i, wallTime: from + i, values: { [metric]: i } }));

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => ({ code: "RESOLVED", message: "resolved" }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

describe("a run deleted and re-created is a new run", () => {
  it("a backend that re-creates a run another backend deleted writes the new run's points (no stale buffer)", async () => {
    const { root, setup: a } = await store();
    await a.appendTimeSeries(ref, points(3));
    await a.updateRun(ref, { state: "COMPLETE" }); // endRun
    const b = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
    await b.deleteRun(ref, noTensorboard);
    await a.createRun(E, { name: "r", state: "RUNNING" });
    await a.appendTimeSeries(ref, points(100));
    await a.updateRun(ref, { state: "COMPLETE" });
    expect(await readSeriesPoints(a, ref)).toHaveLength(100);
    expect(await readSeriesPoints(createFileBackend({ root }), ref)).toHaveLength(100);
    expect((await b.latestTimeSeries(ref)).loss?.step).toBe(100);
    await a.close();
    await b.close();
  });

  it("points buffered for a run deleted meanwhile make flush() reject with NotFoundError, and never reach the new run", async () => {
    const { root, setup: a } = await store();
    await a.appendTimeSeries(ref, points(5, "stale"));
    const b = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
    await b.deleteRun(ref, noTensorboard);
    await b.createRun(E, { name: "r", state: "RUNNING" });
    await b.appendTimeSeries(ref, points(2, "fresh"));
    await b.flush();

    const error = await rejection(a.flush());
    expect(error.code, error.message).toBe("NOT_FOUND");
    expect(error.message).toContain('"r"');
    await a.flush(); // the deleted run's points went with it; nothing is left to fail
    const seen = await readSeriesPoints(createFileBackend({ root }), ref);
    expect(seen.map((p) => p.metric)).toEqual(["fresh", "fresh"]);
    await a.close();
    await b.close();
  });

  it("close() of a backend holding points of a deleted run rejects with NotFoundError too", async () => {
    const { root, setup: a } = await store();
    await a.appendTimeSeries(ref, points(5));
    const b = createFileBackend({ root });
    await b.deleteRun(ref, noTensorboard);
    expect((await rejection(a.close())).code).toBe("NOT_FOUND");
    await b.close();
  });
});

describe("deletes racing re-creates across processes", () => {
  it("a delete whose directory removal runs after another process re-created the run removes nothing of the new run", async () => {
    requireBuilt();
    const { root, setup } = await store();
    await setup.appendTimeSeries(ref, points(3, "old"));
    await setup.flush();
    const deleter = startConversation(fixture("stalled-delete.mjs"), [root, E, "r"]);
    await deleter.waitFor("removing"); // its delete record is written; the removal has not run

    const creator = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
    await creator.createRun(E, { name: "r", state: "RUNNING" });
    await creator.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 100 } }]);
    await creator.flush(); // acknowledged
    deleter.send("go");
    expect((await deleter.done).code).toBe(0);

    const reader = createFileBackend({ root });
    expect(await readSeriesPoints(reader, ref)).toEqual([
      { metric: "loss", step: 1, wallTime: 1, value: 100 },
    ]);
    await creator.close();
    await setup.close();
  });

  it("a deleter SIGKILLed between its delete record and the directory removal leaves no old points in the re-created run", async () => {
    requireBuilt();
    const { root, setup } = await store();
    await setup.appendTimeSeries(ref, points(3, "old"));
    await setup.flush();
    const deleter = startConversation(fixture("stalled-delete.mjs"), [root, E, "r"]);
    await deleter.waitFor("removing");
    deleter.child.kill("SIGKILL");
    expect((await deleter.done).signal).toBe("SIGKILL");

    const creator = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
    expect(await creator.getRun(ref)).toBeUndefined();
    await creator.createRun(E, { name: "r", state: "RUNNING" });
    expect(await readSeriesPoints(creator, ref)).toEqual([]);
    await creator.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 7 } }]);
    await creator.flush();
    const fresh = createFileBackend({ root });
    expect(await readSeriesPoints(fresh, ref)).toEqual([{ metric: "loss", step: 1, wallTime: 1, value: 7 }]);
    expect(await fresh.latestTimeSeries(ref)).toEqual({
      loss: { metric: "loss", step: 1, wallTime: 1, value: 7 },
    });
    // The killed deleter's leftover (the first incarnation's directory) goes with the next delete.
    const runsDir = path.join(root, "experiments", E, "runs");
    expect(await readdir(runsDir)).toHaveLength(2);
    await creator.deleteRun(ref, noTensorboard);
    expect(await readdir(runsDir)).toEqual([]);
    await creator.close();
    await setup.close();
  });

  it("the exit-time flush of a process whose run was deleted and re-created elsewhere writes nothing into the new run", async () => {
    requireBuilt();
    const { root, setup } = await store();
    const stale = startConversation(fixture("exit-flusher.mjs"), [root, E, "r"]);
    await stale.waitFor("buffered");

    await setup.deleteRun(ref, noTensorboard);
    await setup.createRun(E, { name: "r", state: "RUNNING" });
    await setup.appendTimeSeries(ref, [{ step: 1, wallTime: 10, values: { loss: 100 } }]);
    await setup.flush(); // acknowledged: loss@1 = 100
    stale.send("exit");
    expect((await stale.done).code).toBe(0);

    const reader = createFileBackend({ root });
    expect(await readSeriesPoints(reader, ref)).toEqual([
      { metric: "loss", step: 1, wallTime: 10, value: 100 },
    ]);
    expect(await reader.latestTimeSeries(ref)).toEqual({
      loss: { metric: "loss", step: 1, wallTime: 10, value: 100 },
    });
    const listed = await reader.listRuns(E, { withLatestTimeSeries: true });
    expect(listed.items[0]?.latestTimeSeries).toEqual({
      loss: { metric: "loss", step: 1, wallTime: 10, value: 100 },
    });
    await setup.close();
  });
});
