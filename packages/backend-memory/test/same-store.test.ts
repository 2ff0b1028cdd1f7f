import { ExperimentRun } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createMemoryBackend } from "../src/index.js";

describe("sameStoreAs", () => {
  it("opens a second handle on the same data, with its own closed state", async () => {
    const first = createMemoryBackend();
    const second = createMemoryBackend({ sameStoreAs: first });
    const run = await ExperimentRun.create("shared", { experiment: "same-store", backend: first });
    await run.logParams({ lr: 0.1 });
    const seen = await ExperimentRun.get("shared", { experiment: "same-store", backend: second });
    expect(await seen.getParams()).toEqual({ lr: 0.1 });
    await first.close();
    await seen.logMetrics({ acc: 1 });
    expect((await second.getRun(run.ref))?.metrics).toEqual({ acc: 1 });
    // A third handle, from the closed first one, still reaches the store.
    const third = createMemoryBackend({ sameStoreAs: first });
    expect((await third.getRun(run.ref))?.params).toEqual({ lr: 0.1 });
  });

  it("refuses a backend that is not a memory backend", () => {
    const other = createMemoryBackend();
    expect(() => createMemoryBackend({ sameStoreAs: { ...other } as never })).toThrow(
      /sameStoreAs must be a backend made by createMemoryBackend/,
    );
  });
});
