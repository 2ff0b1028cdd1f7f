import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describeBackend } from "@exprun/conformance";
import { afterAll } from "vitest";
import { createFileBackend } from "../src/index.js";

const roots: string[] = [];

describeBackend("file", async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), "exprun-file-conformance-"));
  roots.push(root);
  return createFileBackend({ root });
});

afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
