import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its
    // legacy provider: without it every truncated listing answers 500.
    execArgv: ["--openssl-legacy-provider"],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
