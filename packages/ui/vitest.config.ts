import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    exclude: ["**/node_modules/**"],
    // Browser tests start Chromium; on a loaded 2-core machine that takes seconds.
    testTimeout: 60_000,
    // One Chromium at a time: the browser test files would otherwise fight over two cores.
    fileParallelism: false,
    hookTimeout: 120_000,
  },
});
