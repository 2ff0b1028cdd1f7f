import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Core's tests use the real memory store from its source, and that source imports "@exprun/core":
// both resolve to this package's source, so tests and store share one copy of core (no build needed,
// and no package dependency from core on a store, which would be a cycle).
export default defineConfig({
  resolve: {
    alias: {
      "@exprun/core": fileURLToPath(new URL("./src/index.ts", import.meta.url)),
      "@exprun/backend-memory": fileURLToPath(new URL("../backend-memory/src/index.ts", import.meta.url)),
    },
  },
  test: { exclude: ["**/node_modules/**", "test/types/**", "test/fixtures/**"] },
});
