import { Experiment, ExperimentRun } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createMemoryBackend } from "../src/index.js";

describe("memory backend", () => {
  it("every instance is an isolated store", async () => {
    const a = createMemoryBackend();
    const b = createMemoryBackend();
    await ExperimentRun.create("r", { experiment: "exp1", backend: a });
    expect(await Experiment.list({ backend: a })).toHaveLength(1);
    expect(await Experiment.list({ backend: b })).toEqual([]);
  });

  it("records handed out are copies: mutating one does not change the store", async () => {
    const backend = createMemoryBackend();
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    await run.logParams({ a: 1 });
    const record = await backend.getRun({ experiment: "exp1", run: "r" });
    record!.params.a = 999;
    expect(await run.getParams()).toEqual({ a: 1 });
  });

  it("bad options are typed errors, not a raw TypeError or a silently odd store", () => {
    // Guards against: createMemoryBackend(null) → "Cannot read properties of null", and pageSize 0,
    // -1, 1.5 or "10" accepted (pages of one, or fractional page tokens).
    expect(() => createMemoryBackend(null as never)).toThrow(
      expect.objectContaining({ code: "INVALID_TYPE" }),
    );
    for (const pageSize of [0, -1, 1.5, "10", Number.NaN])
      expect(() => createMemoryBackend({ pageSize: pageSize as number })).toThrow(
        /pageSize must be a positive integer/,
      );
    expect(() => createMemoryBackend({ seriesChunkPoints: 0 })).toThrow(
      /seriesChunkPoints must be a positive integer/,
    );
    expect(createMemoryBackend({ pageSize: 1, seriesChunkPoints: 1 }).name).toBe("memory");
  });

  it("pages never exceed the configured page size", async () => {
    const backend = createMemoryBackend({ pageSize: 3 });
    for (let i = 0; i < 7; i++) await ExperimentRun.create(`r${i}`, { experiment: "exp1", backend });
    const page = await backend.listRuns("exp1", { pageSize: 50 });
    expect(page.items).toHaveLength(3);
    expect(page.nextPageToken).toBeDefined();
    expect(await ExperimentRun.list({ experiment: "exp1", backend })).toHaveLength(7);
  });
});
