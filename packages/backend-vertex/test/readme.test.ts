import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("the README example runs as written and prints what it promises", async () => {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toContain("startVertexFake");
  // Inside the package, so that its own name and its dev dependencies resolve as for a user.
  const file = fileURLToPath(new URL(`./.readme-example-${process.pid}.mjs`, import.meta.url));
  writeFileSync(file, example!);
  try {
    const { stdout } = await run(process.execPath, [file], { timeout: 60_000 });
    expect(stdout.trim().split("\n")).toEqual(["0.01 0.001", "1"]);
  } finally {
    rmSync(file, { force: true });
  }
}, 90_000);
