import { describeBackend } from "@exprun/conformance";
import { afterAll, beforeAll } from "vitest";
import { createS3Backend } from "../src/index.js";
import { BUCKET, startServer, type TestServer, uniquePrefix } from "./server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describeBackend("s3", async () =>
  createS3Backend({
    bucket: BUCKET,
    prefix: uniquePrefix("conformance"),
    client: server.client(),
    claimSettleMs: 20,
  }),
);
