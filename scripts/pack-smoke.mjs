// What a user gets from the registry: packs every public package with `pnpm pack:all` (pnpm's packing
// turns workspace: ranges into versions), installs the tarballs with npm into an empty folder outside the repo, and
// runs each README's example there. A README's example is its first ```js block; a first line
// `// file: NAME.test.mjs` makes it a vitest file, run with the installed vitest.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(path.join(os.tmpdir(), "exprun-pack-"));
const tarballs = path.join(work, "tarballs");
const project = path.join(work, "project");
const keep = process.argv.includes("--keep");
// `node scripts/pack-smoke.mjs core backend-memory` checks only those packages (by folder name).
const only = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));

const packageDirs = ["packages", "apps"]
  .flatMap((group) => readdirSync(path.join(root, group)).map((name) => path.join(root, group, name)))
  .filter((dir) => only.length === 0 || only.includes(path.basename(dir)))
  .filter((dir) => {
    try {
      return !JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).private;
    } catch {
      return false;
    }
  });

const run = (cmd, args, cwd, extraEnv = {}) =>
  execFileSync(cmd, args, {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: 300_000,
    env: { ...process.env, ...extraEnv, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });

try {
  // Packed exactly as README tells users to (`pnpm pack:all`), so that path is tested too.
  run(process.execPath, [path.join(root, "scripts", "pack-all.mjs"), tarballs], root);
  const wanted = new Set(
    packageDirs.map((dir) =>
      JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"))
        .name.replace("@", "")
        .replace("/", "-"),
    ),
  );
  const packed = readdirSync(tarballs)
    .filter((file) => wanted.has(file.replace(/-\d+\.\d+\.\d+.*\.tgz$/, "")))
    .map((file) => path.join(tarballs, file));
  console.log(`packed ${packed.length} packages into ${tarballs} (pnpm pack:all)`);

  const examples = [];
  const extraDeps = new Set();
  for (const dir of packageDirs) {
    const readme = readFileSync(path.join(dir, "README.md"), "utf8");
    const block = /```js\n([\s\S]*?)```/.exec(readme);
    if (!block) throw new Error(`${path.relative(root, dir)}/README.md has no \`\`\`js example`);
    const code = block[1];
    const file = /^\/\/ file: (\S+)/.exec(code)?.[1] ?? `${path.basename(dir)}-example.mjs`;
    // `// needs: pkg@1.2.3 …` names extra packages the example installs (for instance a local test server).
    const needs = /^\/\/ needs: (.+)$/m.exec(code)?.[1]?.split(/\s+/) ?? [];
    for (const dep of needs.filter((token) => /^@?[\w./-]+@[\w.-]+$/.test(token))) extraDeps.add(dep);
    examples.push({ pkg: path.relative(root, dir), file, code });
  }

  writeFileSync(path.join(work, "package.json"), "{}\n");
  rmSync(project, { recursive: true, force: true });
  execFileSync("mkdir", ["-p", project]);
  writeFileSync(
    path.join(project, "package.json"),
    `${JSON.stringify({ name: "exprun-user", private: true, type: "module" }, null, 2)}\n`,
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...packed, ...extraDeps],
    project,
  );
  console.log(
    `installed with npm into ${project}${extraDeps.size ? ` (plus ${[...extraDeps].join(", ")})` : ""}`,
  );

  let failed = 0;
  for (const example of examples) {
    writeFileSync(path.join(project, example.file), example.code);
    const isTest = example.file.endsWith(".test.mjs");
    try {
      const out = isTest
        ? run("npx", ["vitest", "run", example.file], project, { CI: "true" })
        : run(process.execPath, ["--openssl-legacy-provider", example.file], project);
      console.log(
        `ok   ${example.pkg} README example${out.trim() ? `\n${indent(out.trim().split("\n").slice(-6).join("\n"))}` : ""}`,
      );
    } catch (error) {
      failed++;
      console.log(
        `FAIL ${example.pkg} README example\n${indent(`${error.stdout ?? ""}${error.stderr ?? error.message}`)}`,
      );
    }
  }
  if (packageDirs.some((dir) => path.basename(dir) === "cli")) {
    const cli = run("npx", ["exprun", "--help"], project);
    console.log(`ok   npx exprun --help (${cli.split("\n").length} lines)`);
  }
  console.log(`README examples: ${examples.length - failed} ran, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}

function indent(text) {
  return text.replace(/^/gm, "     ");
}
