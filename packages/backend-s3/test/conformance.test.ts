import { describeBackend } from "@exprun/conformance";
import type { CheckedBackend } from "@exprun/core";
import { afterAll, beforeAll, describe } from "vitest";
import { createS3Backend, type S3Backend, type S3BackendOptions } from "../src/index.js";
import { BUCKET, SERVERS, startServer, type TestServer, uniquePrefix } from "./server.js";

// The whole suite, the backend-direct groups included and with no expected failures, on each
// server: s3rver (creations by the claim protocol: it ignores conditional writes) and moto
// (conditional creates, probed by "auto").
for (const kind of SERVERS) {
  describe(kind, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(kind);
    }, 60_000);
    afterAll(async () => {
      await server.close();
    });

    // Test timings: a short claim window, and quick backoff so that the failed-flush group's
    // every-request-fails fault rejects in milliseconds rather than after the 15 s retry budget.
    const options = (prefix: string): S3BackendOptions => ({
      bucket: BUCKET,
      prefix,
      client: server.client(),
      claimSettleMs: 20,
      retryBaseDelayMs: 2,
    });

    describeBackend(`s3 on ${kind}`, async () => createS3Backend(options(uniquePrefix("conformance"))), {
      // Another backend object on the store of `backend`: the same bucket and prefix, its own client.
      openSecond: (backend: CheckedBackend) => createS3Backend(options((backend as S3Backend).prefix)),
      childProcess: {
        module: new URL("./conformance-child.mjs", import.meta.url),
        config: (backend) => ({
          endpoint: server.endpoint,
          bucket: BUCKET,
          prefix: (backend as S3Backend).prefix,
        }),
      },
      faults: {
        // The proxy answers every request with a 500/503 (a quarter of the writes happen anyway, as
        // when a response is lost) until restored.
        failWrites: () => {
          server.faults.rate = 1;
          return () => {
            server.faults.rate = 0;
          };
        },
      },
    });
  });
}
