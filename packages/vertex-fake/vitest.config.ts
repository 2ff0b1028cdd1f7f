import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every test talks gRPC to a real server through the real client; on a loaded machine a
    // test that pages 12,000 points can take seconds. Timeouts guard hangs, not speed.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
