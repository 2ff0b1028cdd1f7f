import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeBackend } from "@exprun/conformance";
import { createJsonDocumentBackend } from "../src/json-document-backend.js";

// This is all it takes to prove a store: a factory for an empty one.
describeBackend("json-document", async () =>
  createJsonDocumentBackend({
    path: path.join(await mkdtemp(path.join(tmpdir(), "exprun-doc-")), "store.json"),
  }),
);
