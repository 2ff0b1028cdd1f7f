import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const packageDir = path.join(import.meta.dirname, "..");

describe("README", () => {
  it("the example runs as written (against the built package)", () => {
    expect(existsSync(path.join(packageDir, "dist", "index.js")), "run pnpm build first").toBe(true);
    const readme = readFileSync(path.join(packageDir, "README.md"), "utf8");
    const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    // Inside the package directory, so that "@exprun/import" resolves to this package itself.
    const script = path.join(packageDir, `.readme-example-${process.pid}.mjs`);
    writeFileSync(script, code!);
    try {
      const result = spawnSync(process.execPath, [script], { cwd: tempDir(), encoding: "utf8" });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("1 run, 3 points; experiments:");
      expect(result.stdout).toContain("to: 'test-sktime'");
    } finally {
      rmSync(script, { force: true });
    }
  });
});
