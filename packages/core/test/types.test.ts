import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const dir = path.join(import.meta.dirname, "types");

// Type tests: user-style code compiled against the built package, as a user's project would see it.
// Guards against: logParams(cfg) with an interface failing with TS2345, time-series rows typed
// `number | Date | undefined`, and the experiment DataFrame's state typed `string`.
describe("the public types, as user code sees them (tsc --noEmit)", () => {
  for (const resolution of ["nodenext", "bundler"]) {
    it(`compiles strict user code with moduleResolution ${resolution}`, () => {
      const result = spawnSync(process.execPath, [tsc, "-p", path.join(dir, `tsconfig.${resolution}.json`)], {
        encoding: "utf8",
      });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    }, 120_000);
  }
});
