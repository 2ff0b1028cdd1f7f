import { readdir } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";

const E = "exp-contract";

async function store() {
  const root = await tempDir();
  const a = createFileBackend({ root, timeSeriesFlushIntervalMs: 0 });
  await a.createExperiment({ name: E });
  return { root, a };
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => ({ code: "RESOLVED", message: "resolved" }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

describe("tags, notes and kept times are stored", () => {
  it("tags merge (null deletes) and the note is replaced; both read back in another process", async () => {
    const { root, a } = await store();
    const ref = { experiment: E, run: "run-tags" };
    const created = await a.createRun(E, { name: ref.run, state: "RUNNING" });
    expect(created).toMatchObject({ tags: {}, description: "" });
    await a.updateRun(ref, { tags: { team: "vision", stage: "dev" }, description: "first try" });
    const b = createFileBackend({ root });
    await b.updateRun(ref, { tags: { stage: null, owner: "ana" } }); // another writer's keys survive
    await a.updateRun(ref, { tags: { seed: "7" } });
    const fresh = createFileBackend({ root });
    expect((await fresh.getRun(ref))?.tags).toEqual({ team: "vision", owner: "ana", seed: "7" });
    expect((await fresh.getRun(ref))?.description).toBe("first try");
    expect((await fresh.listRuns(E)).items[0]).toMatchObject({
      tags: { team: "vision" },
      description: "first try",
    });
    await a.close();
    await b.close();
  });

  it("given create and update times are kept (keepsTimes), for runs, artifacts and executions", async () => {
    const { root, a } = await store();
    expect(a.capabilities.keepsTimes).toBe(true);
    const ref = { experiment: E, run: "run-times" };
    await a.createRun(E, {
      name: ref.run,
      state: "COMPLETE",
      runType: "system.Run",
      createTime: 1000,
      updateTime: 2000,
    });
    const fresh = createFileBackend({ root });
    expect(await fresh.getRun(ref)).toMatchObject({
      runType: "system.Run",
      createTime: 1000,
      updateTime: 2000,
    });
    await a.updateRun(ref, { params: { lr: 1 }, updateTime: 3000 });
    expect(await createFileBackend({ root }).getRun(ref)).toMatchObject({
      createTime: 1000,
      updateTime: 3000,
    });
    const before = Date.now();
    await a.updateRun(ref, { params: { lr: 2 } });
    expect((await createFileBackend({ root }).getRun(ref))!.updateTime).toBeGreaterThanOrEqual(before);
    await a.createArtifact({ id: "art-old", schemaTitle: "system.Model", createTime: 5, updateTime: 6 });
    await a.createExecution({ id: "exec-old", schemaTitle: "system.Run", createTime: 7, updateTime: 8 });
    const reader = createFileBackend({ root });
    expect(await reader.getArtifact("art-old")).toMatchObject({ createTime: 5, updateTime: 6 });
    expect(await reader.getExecution("exec-old")).toMatchObject({ createTime: 7, updateTime: 8 });
    await a.close();
  });
});

describe("a RunRef with an incarnation addresses that creation only", () => {
  it("after another backend deleted and re-created the run, every call on the old incarnation is NotFound and changes nothing", async () => {
    const { root, a } = await store();
    const name = "run-again";
    const first = await a.createRun(E, { name, state: "RUNNING" });
    const old = { experiment: E, run: name, incarnation: first.incarnation };
    expect((await a.getRun(old))?.incarnation).toBe(first.incarnation);

    const b = createFileBackend({ root });
    await b.deleteRun({ experiment: E, run: name }, { deleteBackingTensorboardRun: false });
    const second = await b.createRun(E, { name, state: "RUNNING" });
    expect(second.incarnation).not.toBe(first.incarnation);
    await b.updateRun({ experiment: E, run: name }, { params: { kept: 1 } });

    expect(await a.getRun(old)).toBeUndefined();
    for (const call of [
      () => a.updateRun(old, { params: { stale: 1 } }),
      () => a.assignRunTensorboard(old, "projects/p/locations/l/tensorboards/1"),
      () =>
        a.addRunChildren(old, [{ schemaTitle: "system.PipelineRun", resourceName: "pj", displayName: "p" }]),
      () => a.listRunChildren(old),
      () => readSeriesPoints(a, old),
      () => a.latestTimeSeries(old),
      () => a.appendTimeSeries(old, [{ step: 1, wallTime: 1, values: { stale: 1 } }]).then(() => a.flush()),
      () => a.deleteRun(old, { deleteBackingTensorboardRun: false }),
    ]) {
      expect((await rejection(call())).code).toBe("NOT_FOUND");
    }
    const now = await createFileBackend({ root }).getRun({ experiment: E, run: name });
    expect(now).toMatchObject({ incarnation: second.incarnation, params: { kept: 1 } });
    expect(now?.tensorboardRun).toBeUndefined();
    expect(await readSeriesPoints(createFileBackend({ root }), { experiment: E, run: name })).toEqual([]);
    await a.close();
    await b.close();
  });

  it("the incarnation names the run's data directory", async () => {
    const { root, a } = await store();
    const run = await a.createRun(E, { name: "run-dir", state: "RUNNING" });
    await a.appendTimeSeries({ experiment: E, run: "run-dir" }, [{ step: 1, wallTime: 1, values: { x: 1 } }]);
    await a.flush();
    expect(await readdir(path.join(root, "experiments", E, "runs"))).toEqual([`run-dir.${run.incarnation}`]);
    await a.close();
  });

  it("after close() every call is refused the same way, and close() again resolves", async () => {
    const { a } = await store();
    await a.close();
    expect((await rejection(a.listExperiments())).code).toBe("CLOSED");
    expect((await rejection(a.flush())).code).toBe("CLOSED");
    await a.close();
  });
});
