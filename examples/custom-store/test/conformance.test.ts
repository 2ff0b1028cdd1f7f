import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeBackend, simulateFullDisk } from "@exprun/conformance";
import type { CheckedBackend } from "@exprun/core";
import { createJsonDocumentBackend } from "../src/json-document-backend.js";

// Proving a store takes a factory for an empty one; the options give the suite a second object on
// the same store and a full disk, so that the groups on several instances and failed flushes run too.
const documents = new WeakMap<CheckedBackend, string>();
const documentOf = (backend: CheckedBackend) => documents.get(backend)!;

async function open(file: string): Promise<CheckedBackend> {
  const backend = await createJsonDocumentBackend({ path: file });
  documents.set(backend, file);
  return backend;
}

// What this example store still fails, until issue 9 fixes it: two backend objects on one document
// overwrite each other (each keeps its own copy), a failed save poisons every later one, and listRuns
// hands out its stored points. Each runs as an expected failure (it.fails); the fix removes its line.
const expectedFailures = Object.fromEntries(
  [
    "closing one instance leaves another instance on the same store working",
    "a second instance reads the first's acknowledged writes at once, and the first reads the second's",
    "a run deleted by another instance: writes to it reject NOT_FOUND, reads find nothing, nothing brings it back",
    "a run deleted and re-created by another instance: the first's late writes reject NOT_FOUND and never reach the new run",
    "points still buffered for a run re-created by another instance are refused at close() and never reach the new run",
    "a run deleted by another instance loses none of the first instance's points of other runs",
    "a run whose experiment was deleted and re-created by another instance is a new run",
    "two instances appending to one run lose no point",
    "with bufferedTimeSeries, the writing instance reads its points at once and another instance after flush()",
    "records returned are fresh copies: changing them changes nothing stored",
    "a flush that fails keeps every point for the next flush, and keeps failing while the fault lasts",
    "a close() that fails keeps the backend open and its points buffered; a later close() writes them",
    "points of other runs buffered beside a failing flush are kept too",
  ].map((name) => [name, "issue 9"]),
);

describeBackend(
  "json-document",
  async () => open(path.join(await mkdtemp(path.join(tmpdir(), "exprun-doc-")), "store.json")),
  {
    expectedFailures,
    openSecond: (backend) => open(documentOf(backend)),
    faults: {
      failWrites: (backend) => {
        const file = documentOf(backend);
        return simulateFullDisk((written) => written.startsWith(file));
      },
    },
  },
);
