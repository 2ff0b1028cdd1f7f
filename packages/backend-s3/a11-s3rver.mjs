import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
const server = new S3rver({ address: "127.0.0.1", port: Number(process.argv[2]), silent: true,
  directory: mkdtempSync(path.join(os.tmpdir(), "a11-s3rver-")), configureBuckets: [{ name: "bkt" }] });
await server.run();
console.log("up");
