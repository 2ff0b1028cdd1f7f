// A `node --import` hook for tests: registers the URI scheme `memseed:`, a memory store filled on first
// use with runs that carry what a copy must keep: a legacy run type, create and update times from
// the past, tags, a note and a few thousand points. With memory-dump.mjs, `exprun copy --from memseed:
// --to memdump:` shows what a copy keeps between two stores that keep times, in one process. With
// $EXPRUN_MEMSEED_RECORDS set, the run records are written there when the process is about to exit,
// so a test sees what a command (runs tag, runs note) changed.
import { writeFileSync } from "node:fs";
import { createMemoryBackend } from "@exprun/backend-memory";
import { collectPages, registerBackendScheme } from "@exprun/core";

export const SEED = {
  experiment: "kept",
  created: Date.UTC(2023, 4, 1, 12),
  updated: Date.UTC(2023, 4, 2, 8),
  points: 3000,
};

let seeded;
let memory;
registerBackendScheme("memseed", () => {
  seeded ??= (async () => {
    const backend = createMemoryBackend({ pageSize: 2 });
    memory = backend;
    await backend.createExperiment({ name: SEED.experiment, description: "runs from the past" });
    for (const [name, runType] of [
      ["legacy", "system.Run"],
      ["modern", "system.ExperimentRun"],
    ]) {
      const run = await backend.createRun(SEED.experiment, {
        name,
        state: "COMPLETE",
        runType,
        createTime: SEED.created,
        updateTime: SEED.created,
      });
      const ref = { experiment: SEED.experiment, run: name, incarnation: run.incarnation };
      await backend.updateRun(ref, {
        params: { lr: 0.1 },
        tags: { team: "vision", origin: name },
        description: `the ${name} run`,
        updateTime: SEED.updated,
      });
      const writes = Array.from({ length: SEED.points }, (_, step) => ({
        step,
        wallTime: SEED.created + step,
        values: { loss: 1 / (step + 1) },
      }));
      await backend.appendTimeSeries(ref, writes);
    }
    return { ...backend, close: async () => {} };
  })();
  return seeded;
});

let dumped = false;
process.on("beforeExit", async () => {
  if (dumped || !memory || !process.env.EXPRUN_MEMSEED_RECORDS) return;
  dumped = true;
  const records = [];
  for (const e of await collectPages((page) => memory.listExperiments(page)))
    records.push(...(await collectPages((page) => memory.listRuns(e.name, page))));
  writeFileSync(process.env.EXPRUN_MEMSEED_RECORDS, JSON.stringify(records));
});
