import { createMemoryBackend } from "@exprun/backend-memory";
import { describe, expect, it } from "vitest";
import {
  type Backend,
  type CheckedBackend,
  checkBackend,
  type DesiredRun,
  readSeriesPoints,
  type SyncSeriesChunk,
  syncExperiment,
  syncRun,
} from "../src/index.js";

const T0 = 1_600_000_000_000;

function* chunks(
  metric: string,
  from: number,
  count: number,
  valueAt = (step: number) => step / 10,
): Generator<SyncSeriesChunk> {
  for (let start = from; start < from + count; start += 1000) {
    const n = Math.min(1000, from + count - start);
    const steps = new Float64Array(n);
    const wallTimes = new Float64Array(n);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      steps[i] = start + i;
      wallTimes[i] = T0 + start + i;
      values[i] = valueAt(start + i);
    }
    yield { metric, steps, wallTimes, values };
  }
}

/** A memory store that counts the writes it receives. */
function countingStore(capabilities: Partial<Backend["capabilities"]> = {}) {
  const memory = createMemoryBackend();
  const calls: { method: string; size?: number }[] = [];
  const counted =
    (method: keyof Backend) =>
    async (...args: unknown[]) => {
      calls.push({
        method,
        ...(method === "appendTimeSeries" ? { size: (args[1] as unknown[]).length } : {}),
      });
      return (memory[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  const backend: CheckedBackend = checkBackend({
    ...memory,
    close: undefined,
    capabilities: { ...memory.capabilities, ...capabilities },
    createRun: counted("createRun"),
    updateRun: counted("updateRun"),
    appendTimeSeries: counted("appendTimeSeries"),
    attributeToRun: counted("attributeToRun"),
    addRunChildren: counted("addRunChildren"),
    assignRunTensorboard: counted("assignRunTensorboard"),
  } as Backend);
  return { backend, calls, memory };
}

async function desiredRun(backend: CheckedBackend): Promise<DesiredRun> {
  const artifact = await backend.createArtifact({ id: "data-1", schemaTitle: "system.Dataset" });
  return {
    name: "imported",
    runType: "system.Run",
    state: "COMPLETE",
    params: { lr: 0.1, optimizer: "adam", amp: false },
    metrics: { acc: 0.9, nan: Number.NaN },
    tags: { "mlflow.user": "ana", team: "vision" },
    description: "the note",
    createTime: T0,
    updateTime: T0 + 5_000,
    series: () => [
      ...chunks("loss", 1, 2500),
      // Two values at one step: the later one is the run's.
      { metric: "acc", steps: [1, 1, 2], wallTimes: [T0, T0 + 1, T0 + 2], values: [0.1, 0.2, 0.3] },
    ],
    artifacts: [artifact.id],
    children: [
      { schemaTitle: "system.PipelineRun", resourceName: "projects/p/pipelineJobs/j1", displayName: "j1" },
    ],
  };
}

describe("syncRun", () => {
  it("creates a missing run with everything, keeping times and run type where the store keeps times", async () => {
    const { backend } = countingStore();
    await syncExperiment(backend, { name: "target" });
    const desired = await desiredRun(backend);
    const result = await syncRun(backend, "target", desired);
    expect(result).toMatchObject({
      created: true,
      params: 3,
      metrics: 2,
      tags: 2,
      description: true,
      points: 2503,
      attributions: 1,
      children: 1,
      wrote: true,
      timesNotKept: false,
      warnings: [],
    });
    const record = await backend.getRun({ experiment: "target", run: "imported" });
    expect(record).toMatchObject({
      runType: "system.Run",
      state: "COMPLETE",
      params: desired.params,
      tags: desired.tags,
      description: "the note",
      createTime: T0,
      updateTime: T0 + 5_000,
    });
    expect(record!.metrics.nan).toBeNaN();
    const latest = await backend.latestTimeSeries(result.ref);
    expect(latest.loss).toMatchObject({ step: 2500, value: 250 });
    expect(latest.acc).toMatchObject({ step: 2, value: 0.3 });
    const acc1 = (await readSeriesPoints(backend, result.ref, { metrics: ["acc"] })).filter(
      (p) => p.step === 1,
    );
    expect(acc1.at(-1)!.value).toBe(0.2);
  });

  // Guards against: a re-copy or re-import writing again (idempotency), with duplicate steps too.
  it("a second pass with the same desired state writes nothing", async () => {
    const { backend, calls } = countingStore();
    await syncExperiment(backend, { name: "target" });
    const desired = await desiredRun(backend);
    await syncRun(backend, "target", desired);
    calls.length = 0;
    const again = await syncRun(backend, "target", desired);
    expect(again).toMatchObject({ created: false, params: 0, metrics: 0, tags: 0, points: 0, wrote: false });
    expect(calls).toEqual([]);
    expect(await syncExperiment(backend, { name: "target" })).toEqual({ created: false, updated: false });
  });

  it("writes only the differences into an existing run", async () => {
    const { backend, calls } = countingStore();
    await syncExperiment(backend, { name: "target" });
    const desired = await desiredRun(backend);
    await syncRun(backend, "target", desired);
    calls.length = 0;
    const changed: DesiredRun = {
      ...desired,
      params: { ...desired.params, lr: 0.2 },
      tags: { team: "nlp" },
      state: "FAILED",
      series: () => [...chunks("loss", 1, 2500, (s) => (s === 7 ? -1 : s / 10)), ...chunks("new", 1, 3)],
    };
    const result = await syncRun(backend, "target", changed);
    expect(result).toMatchObject({ params: 1, metrics: 0, tags: 1, state: true, points: 4, attributions: 0 });
    expect(calls.map((c) => c.method)).toEqual(["appendTimeSeries", "updateRun"]);
    const record = await backend.getRun({ experiment: "target", run: "imported" });
    expect(record).toMatchObject({
      state: "FAILED",
      updateTime: T0 + 5_000,
      tags: { team: "nlp", "mlflow.user": "ana" },
    });
  });

  it("dryRun counts what would be written and writes nothing", async () => {
    const { backend, calls } = countingStore();
    await syncExperiment(backend, { name: "target" });
    const desired = await desiredRun(backend);
    const dry = await syncRun(backend, "target", desired, { dryRun: true });
    expect(dry).toMatchObject({
      created: true,
      params: 3,
      points: 2503,
      attributions: 1,
      children: 1,
      wrote: true,
    });
    expect(calls).toEqual([]);
    expect(await backend.getRun({ experiment: "target", run: "imported" })).toBeUndefined();
    expect(await syncExperiment(backend, { name: "other" }, { dryRun: true })).toEqual({
      created: true,
      updated: false,
    });
    expect(await backend.getExperiment("other")).toBeUndefined();
  });

  it("streams a new run's series in writes of pointsPerWrite, never holding the whole series", async () => {
    const { backend, calls } = countingStore();
    await syncExperiment(backend, { name: "target" });
    let produced = 0;
    let maxAhead = 0;
    async function* series(): AsyncGenerator<SyncSeriesChunk> {
      for (const chunk of chunks("loss", 0, 20_000)) {
        produced += chunk.steps.length;
        const written = calls.filter((c) => c.method === "appendTimeSeries").reduce((n, c) => n + c.size!, 0);
        maxAhead = Math.max(maxAhead, produced - written);
        yield chunk;
      }
    }
    const result = await syncRun(
      backend,
      "target",
      { name: "long", state: "RUNNING", series },
      { pointsPerWrite: 2000 },
    );
    expect(result.points).toBe(20_000);
    const sizes = calls.filter((c) => c.method === "appendTimeSeries").map((c) => c.size);
    expect(sizes).toEqual(Array(10).fill(2000));
    expect(maxAhead).toBeLessThanOrEqual(3000);
  });

  it("on a store that assigns its own times, says the times were not kept", async () => {
    const { backend } = countingStore({ keepsTimes: false });
    await syncExperiment(backend, { name: "target" });
    const before = Date.now();
    const result = await syncRun(backend, "target", {
      name: "r",
      state: "COMPLETE",
      createTime: T0,
      updateTime: T0,
    });
    expect(result.timesNotKept).toBe(true);
    const record = await backend.getRun({ experiment: "target", run: "r" });
    expect(record!.createTime).toBeGreaterThanOrEqual(before);
    // The next pass still writes nothing: the store's own times are not a difference.
    expect(
      (await syncRun(backend, "target", { name: "r", state: "COMPLETE", createTime: T0, updateTime: T0 }))
        .wrote,
    ).toBe(false);
  });

  it("a store that needs a TensorBoard gets the desired one, or a warning and no points", async () => {
    const { backend } = countingStore({ requiresTensorboard: true });
    await syncExperiment(backend, { name: "target" });
    const series = () => chunks("loss", 1, 5);
    const without = await syncRun(backend, "target", { name: "a", state: "COMPLETE", series });
    expect(without.points).toBe(0);
    expect(without.warnings[0]).toMatch(/needs a TensorBoard/);
    const tensorboard = "projects/p/locations/l/tensorboards/1";
    const withTb = await syncRun(backend, "target", { name: "b", state: "COMPLETE", series, tensorboard });
    expect(withTb).toMatchObject({ points: 5, tensorboard: true, warnings: [] });
    expect(
      (await syncRun(backend, "target", { name: "b", state: "COMPLETE", series, tensorboard })).wrote,
    ).toBe(false);
  });

  // Guards against: copy writing around core's checks (a NaN param "copied" to Vertex as null).
  it("goes through the gateway: what the target cannot keep is refused before anything is written", async () => {
    const { backend, calls } = countingStore({ nonFiniteValues: false });
    await syncExperiment(backend, { name: "target" });
    await expect(
      syncRun(backend, "target", { name: "r", state: "COMPLETE", params: { lr: Number.NaN } }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    expect(calls).toEqual([]);
    expect(await backend.getRun({ experiment: "target", run: "r" })).toBeUndefined();
  });
});
