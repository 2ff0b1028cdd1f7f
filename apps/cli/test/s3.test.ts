import { mkdtempSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createFileBackend } from "@exprun/backend-file";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exprunJson, tempDir } from "./helpers/cli.js";
import { expectSameStores, seed } from "./helpers/seed.js";
import { snapshotStore } from "./helpers/snapshot.mjs";

// `exprun copy` to and from a real S3 HTTP server (s3rver): a laptop's file store goes to a bucket and
// comes back to another laptop with every field of every run intact.
const BUCKET = "exprun-cli";
const tmp = tempDir();
let server: S3rver;
let bucketUri: string;
const env = {
  AWS_ACCESS_KEY_ID: "S3RVER", // s3rver's built-in account
  AWS_SECRET_ACCESS_KEY: "S3RVER",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

interface Summary {
  runs: { created: number; updated: number; unchanged: number };
  copied: Record<string, number>;
}

async function snapshot(root: string) {
  const backend = createFileBackend({ root, fsync: false });
  try {
    return await snapshotStore(backend);
  } finally {
    await backend.close?.();
  }
}

beforeAll(async () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), "exprun-cli-s3rver-"));
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  });
  // s3rver removes a key's directory with its last object, racing PUTs into it; S3 has no
  // directories, so deletes here only remove the object's own files.
  server.store.deleteObject = async (bucket, key) => {
    for (const kind of ["object", "object.md5", "metadata.json"]) {
      await unlink(server.store.getResourcePath(bucket, key, kind)).catch(() => undefined);
    }
  };
  const { port } = await server.run();
  bucketUri = `s3://${BUCKET}/team/exprun?endpoint=http://127.0.0.1:${port}&path-style=true&region=us-east-1`;
  const backend = createFileBackend({ root: path.join(tmp.dir, "laptop"), fsync: false });
  try {
    await seed(backend);
  } finally {
    await backend.close?.();
  }
  return async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  };
});
afterAll(() => tmp.remove());

describe("copy through S3", () => {
  it("file → s3 → file reproduces every field of every run, and a second upload copies nothing", async () => {
    const laptop = `file:${path.join(tmp.dir, "laptop")}`;
    const up = await exprunJson<Summary>(["copy", "--from", laptop, "--to", bucketUri], { env });
    expect(up.runs).toEqual({ created: 3, updated: 0, unchanged: 0 });
    const again = await exprunJson<Summary>(["copy", "--from", laptop, "--to", bucketUri], { env });
    expect(again.runs).toEqual({ created: 0, updated: 0, unchanged: 3 });
    expect(Object.values(again.copied).every((n) => n === 0)).toBe(true);
    const down = await exprunJson<Summary>(
      ["copy", "--from", bucketUri, "--to", `file:${path.join(tmp.dir, "other")}`],
      {
        env,
      },
    );
    expect(down.runs.created).toBe(3);
    expectSameStores(
      await snapshot(path.join(tmp.dir, "other")),
      await snapshot(path.join(tmp.dir, "laptop")),
    );
  });
});
