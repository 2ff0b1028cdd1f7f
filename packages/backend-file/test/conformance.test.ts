import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describeBackend } from "@exprun/conformance";
import { createFileBackend } from "../src/index.js";

describeBackend("file", async () =>
  createFileBackend({ root: await mkdtemp(path.join(os.tmpdir(), "exprun-file-conformance-")) }),
);
