import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Importing @google-cloud/aiplatform and building the first client takes seconds.
    hookTimeout: 30_000,
  },
});
