import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describeBackend, simulateFullDisk } from "@exprun/conformance";
import type { CheckedBackend } from "@exprun/core";
import { afterAll } from "vitest";
import { createFileBackend, type FileBackend } from "../src/index.js";

const roots: string[] = [];
const rootOf = (backend: CheckedBackend) => (backend as FileBackend).root;

describeBackend(
  "file",
  async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "exprun-file-conformance-"));
    roots.push(root);
    return createFileBackend({ root });
  },
  {
    openSecond: (backend) => createFileBackend({ root: rootOf(backend) }),
    childProcess: {
      module: new URL("./conformance-child.mjs", import.meta.url),
      config: (backend) => ({ root: rootOf(backend) }),
    },
    faults: {
      // A full disk for the run's files: any path under the store in the run's data directory
      // (`runs/<run>.<incarnation>/`). The disk-full tests of this package use a real full tmpfs.
      failWrites: (backend, run) => {
        const root = rootOf(backend);
        const dataDir = (part: string) => part === run.run || part.startsWith(`${run.run}.`);
        return simulateFullDisk(
          (file) => file.startsWith(root + path.sep) && file.split(path.sep).some(dataDir),
        );
      },
    },
  },
);

afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});
