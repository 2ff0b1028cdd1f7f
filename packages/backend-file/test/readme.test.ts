import { spawnSync } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { requireBuilt } from "./children.js";
import { tempDir } from "./helpers.js";

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("README", () => {
  it("the example runs as written and prints a DataFrame row", async () => {
    requireBuilt();
    const readme = await readFile(path.join(packageDir, "README.md"), "utf8");
    const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    // Inside the package directory, so that "@exprun/backend-file" resolves to this package itself.
    const script = path.join(packageDir, `.readme-example-${process.pid}.mjs`);
    await writeFile(script, code!);
    try {
      const cwd = await tempDir();
      const result = spawnSync(process.execPath, [script], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, EXPRUN_HOME: "" },
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain("'time_series_metric.loss': 0.01");
      expect(result.stdout).toContain("state: 'COMPLETE'");
    } finally {
      await rm(script, { force: true });
    }
  });
});
