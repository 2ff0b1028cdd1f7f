import { describeBackend } from "@exprun/conformance";
import type { CheckedBackend } from "@exprun/core";
import { afterAll, beforeAll } from "vitest";
import { createS3Backend, type S3Backend } from "../src/index.js";
import { BUCKET, startServer, type TestServer, uniquePrefix } from "./server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** Another backend object on the store of `backend`: the same bucket and prefix, its own client. */
const onSameStore = (backend: CheckedBackend) =>
  createS3Backend({
    bucket: BUCKET,
    prefix: (backend as S3Backend).prefix,
    client: server.client(),
    claimSettleMs: 20,
  });

describeBackend(
  "s3",
  async () =>
    createS3Backend({
      bucket: BUCKET,
      prefix: uniquePrefix("conformance"),
      client: server.client(),
      claimSettleMs: 20,
    }),
  {
    openSecond: onSameStore,
    childProcess: {
      module: new URL("./conformance-child.mjs", import.meta.url),
      config: (backend) => ({ endpoint: server.endpoint, bucket: BUCKET, prefix: (backend as S3Backend).prefix }),
    },
    faults: {
      // The server answers every request with a 500/503 (a quarter of the writes happen anyway, as
      // when a response is lost) until restored.
      failWrites: () => {
        server.faults.rate = 1;
        return () => {
          server.faults.rate = 0;
        };
      },
    },
  },
);
