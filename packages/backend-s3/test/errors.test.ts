import { BackendError, isExprunError } from "@exprun/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Backend } from "../src/index.js";
import { BUCKET, startServer, type TestServer, uniquePrefix } from "./server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe("errors", () => {
  async function failure(
    bucket: string,
    accessKeyId: string,
    secretAccessKey: string,
  ): Promise<BackendError> {
    const b = createS3Backend({
      bucket,
      clientConfig: {
        endpoint: server.endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId, secretAccessKey },
      },
      retryBaseDelayMs: 1,
    });
    const error = await b.getExperiment("e").then(
      () => undefined,
      (e: unknown) => e,
    );
    await b.close();
    expect(error).toBeInstanceOf(BackendError);
    expect(isExprunError(error, "BACKEND")).toBe(true);
    expect((error as BackendError).backend).toBe("s3");
    expect((error as Error).message).toMatch(/^\[exprun\] \[s3\] /);
    return error as BackendError;
  }

  it("rejected credentials are a BackendError that names the fix and never the credentials", async () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
    const error = await failure(BUCKET, "AKIAIOSFODNN7EXAMPLE", secret);
    expect(error.message).toContain("Check the credentials");
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(String(error.stack)).not.toContain(secret);
  });

  it("a missing bucket is a BackendError that says to create it", async () => {
    const error = await failure("no-such-bucket", "S3RVER", "S3RVER");
    expect(error.message).toContain("NoSuchBucket");
    expect(error.message).toContain("Create the bucket first");
  });

  it("a missing region is a BackendError that says where to set one, after one attempt", async () => {
    const saved = {
      region: process.env.AWS_REGION,
      fallback: process.env.AWS_DEFAULT_REGION,
      config: process.env.AWS_CONFIG_FILE,
    };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_CONFIG_FILE = "/nonexistent/exprun-test-aws-config";
    try {
      server.resetCounts();
      const b = createS3Backend({
        bucket: BUCKET,
        clientConfig: {
          endpoint: server.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        },
      });
      const error = await b.listExperiments().then(
        () => undefined,
        (e: unknown) => e,
      );
      await b.close();
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toContain("No AWS region is configured");
      expect((error as Error).message).toContain("?region=");
      expect((error as Error).message).not.toMatch(/attempts/);
      expect(server.requests.total).toBe(0);
    } finally {
      for (const [name, value] of [
        ["AWS_REGION", saved.region],
        ["AWS_DEFAULT_REGION", saved.fallback],
        ["AWS_CONFIG_FILE", saved.config],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("a closed backend refuses calls", async () => {
    const b = createS3Backend({ bucket: BUCKET, prefix: uniquePrefix(), client: server.client() });
    await b.close();
    await expect(b.getExperiment("e")).rejects.toThrow(/closed/);
  });
});
