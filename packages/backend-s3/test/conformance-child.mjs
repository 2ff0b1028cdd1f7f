// Opens the S3 store in a child process of the conformance suite (options.childProcess), from the
// built package, with its own client on the test server.
import { createS3Backend } from "../dist/index.js";

export const openBackend = ({ endpoint, bucket, prefix }) =>
  createS3Backend({
    bucket,
    prefix,
    claimSettleMs: 20,
    clientConfig: {
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    },
  });
