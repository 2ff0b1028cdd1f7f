import { mkdtempSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll } from "vitest";
import { createS3Backend, type S3Backend, type S3BackendOptions } from "../src/index.js";

export const BUCKET = "exprun-test";

/** Faults the test server injects: `rate` of requests answer SlowDown/503/500 instead of their result. */
export interface Faults {
  rate: number;
  injected: number;
}

/** A real S3 server (s3rver) on 127.0.0.1, a random port and a temp directory, counting requests. */
export interface TestServer {
  endpoint: string;
  requests: { total: number; byMethod: Record<string, number> };
  faults: Faults;
  client(): S3Client;
  resetCounts(): void;
  /** Every key in the bucket. */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`;
}

/**
 * s3rver stores objects as files and removes a directory once its last object is deleted. A PUT
 * into that directory at the same moment (it has just created the directory) then fails inside
 * s3rver with an uncaught ENOENT and the request never answers. S3 has no directories, so the test
 * server keeps them: deletes only remove the object's files.
 */
function keepDirectories(server: S3rver): void {
  const store = server.store;
  store.deleteObject = async (bucket: string, key: string) => {
    const files = ["object", "object.md5", "metadata.json"].map((kind) =>
      store.getResourcePath(bucket, key, kind),
    );
    await Promise.all(
      files.map((file) =>
        unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        }),
      ),
    );
  };
}

export async function startServer(): Promise<TestServer> {
  const directory = mkdtempSync(path.join(os.tmpdir(), "exprun-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  });
  keepDirectories(server);
  const requests = { total: 0, byMethod: {} as Record<string, number> };
  const faults: Faults = { rate: 0, injected: 0 };
  // Koa composes middleware when the server starts: these run before s3rver's router.
  server.middleware.unshift(async (ctx, next) => {
    requests.total++;
    requests.byMethod[ctx.method] = (requests.byMethod[ctx.method] ?? 0) + 1;
    if (faults.rate > 0 && Math.random() < faults.rate) {
      faults.injected++;
      const roll = Math.random();
      if (roll < 0.25 && ctx.method !== "GET") {
        // The write happens, but the client is told it failed: a retry must be harmless.
        await next();
      }
      const [status, code] =
        roll < 0.5 ? [500, "InternalError"] : roll < 0.75 ? [503, "SlowDown"] : [503, "ServiceUnavailable"];
      ctx.status = status;
      ctx.type = "application/xml";
      ctx.body = errorXml(code, "Injected by the test server.");
      return;
    }
    await next();
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  const client = () => {
    const made = new S3Client({
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    clients.push(made);
    return made;
  };
  const admin = client();
  return {
    endpoint,
    requests,
    faults,
    client,
    resetCounts() {
      requests.total = 0;
      requests.byMethod = {};
    },
    async keys(prefix = "") {
      const rate = faults.rate;
      faults.rate = 0;
      const keys: string[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await admin.send(
            new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
          );
          for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } finally {
        faults.rate = rate;
      }
      return keys;
    },
    async close() {
      for (const made of clients) made.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  counter++;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * One server for the calling test file (started in `beforeAll`, closed in `afterAll`), and a factory of
 * backends on it with test timings (5 ms claim window, no flush timer) plus `defaults`.
 */
export function useTestServer(defaults: Partial<S3BackendOptions> = {}) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const running = (): TestServer => {
    if (!server) throw new Error("the test server starts in beforeAll; use it inside tests");
    return server;
  };
  return {
    get server(): TestServer {
      return running();
    },
    backend(prefix: string = uniquePrefix(), extra: Partial<S3BackendOptions> = {}): S3Backend {
      return createS3Backend({
        bucket: BUCKET,
        prefix,
        client: running().client(),
        claimSettleMs: 5,
        flushIntervalMs: 0,
        ...defaults,
        ...extra,
      });
    },
  };
}
