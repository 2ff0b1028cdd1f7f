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

describeBackend(
  "json-document",
  async () => open(path.join(await mkdtemp(path.join(tmpdir(), "exprun-doc-")), "store.json")),
  {
    openSecond: (backend) => open(documentOf(backend)),
    faults: {
      // Every write of the document (its temp files included) fails with ENOSPC until restored.
      failWrites: (backend) => {
        const file = documentOf(backend);
        return simulateFullDisk((written) => written.startsWith(file));
      },
    },
  },
);
