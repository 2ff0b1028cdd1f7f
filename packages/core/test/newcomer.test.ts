import { createMemoryBackend } from "@exprun/backend-memory";
import { beforeEach, describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  type CheckedBackend,
  checkBackend,
  ExperimentRun,
  endRun,
  init,
  NAME_PATTERN,
  resetDefaults,
  startRun,
  withRun,
} from "../src/index.js";

let backend: CheckedBackend;
beforeEach(() => {
  resetDefaults();
  backend = createMemoryBackend();
});

describe("running the README example twice", () => {
  // Guards against: "AlreadyExistsError … Use another name." with no word on how to continue the run.
  it("the AlreadyExistsError says how to continue the run", async () => {
    init({ experiment: "my-experiment", backend });
    await withRun("my-run", async () => undefined);
    const error = await startRun("my-run").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as Error).message).toBe(
      '[exprun] [memory] Run "my-run" already exists in experiment "my-experiment". To continue it, use ' +
        'startRun("my-run", { resume: true }) or ExperimentRun.get("my-run", { experiment: "my-experiment" }); ' +
        "to start another, pick a new name or leave the name out to get a generated one.",
    );
    const resumed = await startRun("my-run", { resume: true });
    expect(resumed.state).toBe("RUNNING");
    await endRun();
  });

  it("startRun() and ExperimentRun.create(undefined, …) generate readable, valid, unique names", async () => {
    init({ experiment: "my-experiment", backend });
    const names = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const run = await startRun();
      names.add(run.name);
      expect(run.name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
      await endRun();
    }
    const created = await ExperimentRun.create(undefined, { experiment: "my-experiment", backend });
    names.add(created.name);
    await withRun(undefined, async (run) => names.add(run.name));
    expect(names.size).toBe(22);
    for (const name of names) expect(NAME_PATTERN.test(name)).toBe(true);
  });

  it("a generated name that is taken is replaced by another, never an error", async () => {
    const memory = createMemoryBackend();
    let refusals = 3;
    const tried: string[] = [];
    const crowded = checkBackend({
      ...memory,
      close: undefined,
      async createRun(experiment, run) {
        tried.push(run.name);
        if (refusals-- > 0) throw new AlreadyExistsError(`Run ${run.name} exists.`);
        return memory.createRun(experiment, run);
      },
    });
    const run = await ExperimentRun.create(undefined, { experiment: "crowded", backend: crowded });
    expect(tried).toHaveLength(4);
    expect(run.name).toBe(tried[3]);
    refusals = 1;
    await expect(
      ExperimentRun.create("mine", { experiment: "crowded", backend: crowded }),
    ).rejects.toThrowError(/Run "mine" already exists/);
  });
});
