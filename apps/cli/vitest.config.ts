import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The tests run the real binary as child processes; a loaded 2-core machine needs time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
