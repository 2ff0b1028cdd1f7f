// A `node --import` hook for tests: registers the URI scheme `memdump:`, a memory store that, when the
// process is about to exit, writes a snapshot of everything in it to $EXPRUN_MEMDUMP_OUT. This lets a
// test see what `exprun copy --to memdump:` put into a memory store, which otherwise dies with the process.
import { writeFileSync } from "node:fs";
import { createMemoryBackend } from "@exprun/backend-memory";
import { collectPages, registerBackendScheme } from "@exprun/core";
import { snapshotStore } from "./snapshot.mjs";

// The CLI closes the store it opened; the snapshot reads the memory store underneath, which stays open.
let store;
let memory;
const open = (capabilities = {}) => {
  memory ??= createMemoryBackend({ pageSize: 3 });
  store ??= { ...memory, capabilities: { ...memory.capabilities, ...capabilities }, close: async () => {} };
  return store;
};
registerBackendScheme("memdump", () => open());
// The same store declaring that time series need a TensorBoard, as Vertex does.
registerBackendScheme("memdump-tb", () => open({ requiresTensorboard: true }));
// The same store refusing NaN and ±Infinity in params and metrics, as Vertex does.
registerBackendScheme("memdump-finite", () => open({ nonFiniteValues: false }));

let dumped = false;
process.on("beforeExit", async () => {
  if (dumped || !memory) return;
  dumped = true;
  writeFileSync(process.env.EXPRUN_MEMDUMP_OUT, JSON.stringify(await snapshotStore(memory)));
  // The run records themselves, times included (the snapshot leaves times out to compare stores).
  if (process.env.EXPRUN_MEMDUMP_RECORDS) {
    const records = [];
    for (const e of await collectPages((page) => memory.listExperiments(page)))
      records.push(...(await collectPages((page) => memory.listRuns(e.name, page))));
    writeFileSync(process.env.EXPRUN_MEMDUMP_RECORDS, JSON.stringify(records));
  }
});
