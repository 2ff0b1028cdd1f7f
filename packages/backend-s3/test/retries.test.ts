import dns from "node:dns";
import http from "node:http";
import type net from "node:net";
import { S3Client } from "@aws-sdk/client-s3";
import { BackendError } from "@exprun/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Backend, type S3BackendOptions } from "../src/index.js";

/** An S3 endpoint that is always down: every request answers 503 SlowDown. Counts what it gets. */
let endpoint = "";
let requests = 0;
const down = http.createServer((req, res) => {
  requests++;
  req.resume();
  req.on("end", () => {
    res.writeHead(503, { "content-type": "application/xml" });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Down.</Message></Error>`,
    );
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => down.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(down.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => down.close(() => resolve()));
});

const credentials = { accessKeyId: "KEY", secretAccessKey: "SECRET" };

async function failureOf(options: Partial<S3BackendOptions>): Promise<BackendError> {
  const backend = createS3Backend({ bucket: "exprun-test", ...options });
  const error = await backend.listExperiments().then(
    () => undefined,
    (e: unknown) => e,
  );
  await backend.close();
  expect(error).toBeInstanceOf(BackendError);
  return error as BackendError;
}

describe("one bounded retry layer", () => {
  it("an endpoint that always answers 503 gets 8 attempts of one request, and the error says so", async () => {
    requests = 0;
    const error = await failureOf({
      clientConfig: { endpoint, forcePathStyle: true, region: "us-east-1", credentials },
      retryBaseDelayMs: 2,
    });
    expect(requests).toBe(8);
    expect(error.message).toMatch(/failed after 8 attempts over [\d.]+ s \(SlowDown: Down\.\)/);
  });

  it("maxAttempts and the time budget bound the retries", async () => {
    requests = 0;
    await failureOf({
      clientConfig: { endpoint, forcePathStyle: true, region: "us-east-1", credentials },
      maxAttempts: 3,
      retryBaseDelayMs: 1,
    });
    expect(requests).toBe(3);
    requests = 0;
    // Backoff of 200 ms against a budget of 100 ms: no retry fits.
    const error = await failureOf({
      clientConfig: { endpoint, forcePathStyle: true, region: "us-east-1", credentials },
      retryBaseDelayMs: 200,
      retryBudgetMs: 100,
    });
    expect(requests).toBe(1);
    expect(error.message).not.toMatch(/attempts/);
  });

  it("a client that retries by itself is the one retry layer", async () => {
    requests = 0;
    const client = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials,
      maxAttempts: 3,
    });
    await failureOf({ client, retryBaseDelayMs: 1 });
    expect(requests).toBe(3);
    client.destroy();
  });

  it("an unknown host is not retried, and a bucket addressed as a subdomain gets the path-style hint", async () => {
    const lookups: string[] = [];
    const lookup: net.LookupFunction = (hostname, options, callback) => {
      lookups.push(hostname);
      dns.lookup(hostname, options, callback);
    };
    const error = await failureOf({
      clientConfig: {
        endpoint: "http://s3.invalid:9000",
        region: "us-east-1",
        credentials,
        requestHandler: { httpAgent: new http.Agent({ lookup }) },
      },
      retryBaseDelayMs: 1,
    });
    expect(lookups).toEqual(["exprun-test.s3.invalid"]);
    expect(error.message).toContain("ENOTFOUND");
    expect(error.message).toContain("forcePathStyle: true");
    expect(error.message).toContain("?path-style=true");
    expect(error.message).not.toMatch(/attempts|retried/);
  });
});
