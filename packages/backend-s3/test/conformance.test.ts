import { describeBackend } from "@exprun/conformance";
import { afterAll, beforeAll, describe } from "vitest";
import { createS3Backend } from "../src/index.js";
import { BUCKET, SERVERS, startServer, type TestServer, uniquePrefix } from "./server.js";

// The whole suite on each server: s3rver (creations by the claim protocol: it ignores conditional
// writes) and moto (conditional creates, probed by "auto").
for (const kind of SERVERS) {
  describe(kind, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(kind);
    }, 60_000);
    afterAll(async () => {
      await server.close();
    });
    describeBackend(`s3 on ${kind}`, async () =>
      createS3Backend({
        bucket: BUCKET,
        prefix: uniquePrefix("conformance"),
        client: server.client(),
        claimSettleMs: 20,
      }),
    );
  });
}
