import { openBackend } from "@exprun/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Backend } from "../src/index.js";
import { BUCKET, startServer, type TestServer, uniquePrefix } from "./server.js";

let server: TestServer;
const saved: Record<string, string | undefined> = {};
const ENV = ["AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] as const;

beforeAll(async () => {
  server = await startServer();
  for (const key of ENV) saved[key] = process.env[key];
  // What a user sets to point the AWS default chain at an S3-compatible service.
  process.env.AWS_ENDPOINT_URL_S3 = server.endpoint;
  process.env.AWS_ACCESS_KEY_ID = "S3RVER";
  process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
  process.env.AWS_REGION = "us-east-1";
});
afterAll(async () => {
  for (const key of ENV) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await server.close();
});

describe("s3:// URIs", () => {
  it("openBackend('s3://bucket/prefix') opens this backend on that bucket and prefix", async () => {
    const prefix = uniquePrefix("uri");
    const backend = await openBackend(`s3://${BUCKET}/${prefix}/store`);
    expect(backend.name).toBe("s3");
    await backend.createExperiment({ name: "from-uri" });
    await backend.close?.();
    const keys = await server.keys(`${prefix}/store/experiments/from-uri/`);
    expect(keys.length).toBeGreaterThan(0);
  });
  it("URI options set the endpoint, path-style addressing and the creation mode", async () => {
    const prefix = uniquePrefix("uri-options");
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_ENDPOINT_URL_S3;
    try {
      const backend = (await openBackend(
        `s3://${BUCKET}/${prefix}?endpoint=${server.endpoint}&path-style=true&region=us-east-1&conditional-writes=false`,
      )) as unknown as S3Backend;
      expect(await backend.conditionalWrites()).toBe(false);
      await backend.createExperiment({ name: "from-options" });
      await backend.close();
    } finally {
      if (saved !== undefined) process.env.AWS_ENDPOINT_URL_S3 = saved;
    }
    expect((await server.keys(`${prefix}/experiments/from-options/`)).length).toBeGreaterThan(0);
  });
});
