// `pnpm release:dry-run` (part of `pnpm test`): proves the release path without touching this tree.
// On a copy of the repository (tracked and new files, plus each package's built dist/), it runs
// `changeset version` (pending changesets become versions and changelogs, `workspace:*` ranges follow)
// and `pnpm -r publish --dry-run`, then checks that every public package would be published at its
// new version with real dependency ranges. The working tree's `git status` is compared before and
// after, so a run that changed anything here fails.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const keep = process.argv.includes("--keep");
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
    env: { ...process.env, CI: "true", npm_config_loglevel: "warn" },
  });
const status = () => run("git", ["status", "--porcelain"], root);

const before = status();
const copy = mkdtempSync(path.join(os.tmpdir(), "exprun-release-"));
try {
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root)
    .split("\0")
    .filter((f) => f && existsSync(path.join(root, f)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    cpSync(path.join(root, file), path.join(copy, file));
  }
  const packages = ["packages", "apps"].flatMap((group) =>
    readdirSync(path.join(root, group)).map((name) => path.join(group, name)),
  );
  const publicPackages = packages.filter((dir) => {
    const file = path.join(root, dir, "package.json");
    return existsSync(file) && !JSON.parse(readFileSync(file, "utf8")).private;
  });
  for (const dir of publicPackages) {
    if (!existsSync(path.join(root, dir, "dist")))
      throw new Error(`${dir} has no dist/: run pnpm build first.`);
    cpSync(path.join(root, dir, "dist"), path.join(copy, dir, "dist"), { recursive: true });
  }
  // pnpm resolves workspace: ranges through the installed links: install the copy from the store
  // this checkout already filled (offline, no scripts; hard links, so it takes seconds).
  run("pnpm", ["install", "--offline", "--frozen-lockfile", "--ignore-scripts"], copy);
  const versionOf = (dir, base) =>
    JSON.parse(readFileSync(path.join(base, dir, "package.json"), "utf8")).version;
  const oldVersions = Object.fromEntries(publicPackages.map((dir) => [dir, versionOf(dir, copy)]));
  const pending = readdirSync(path.join(copy, ".changeset")).filter(
    (f) => f.endsWith(".md") && f !== "README.md",
  );

  run(process.execPath, [path.join(root, "node_modules", "@changesets", "cli", "bin.js"), "version"], copy);
  const published = run(
    "pnpm",
    ["-r", "publish", "--dry-run", "--no-git-checks", "--access", "public"],
    copy,
  );

  const problems = [];
  for (const dir of publicPackages) {
    const manifest = JSON.parse(readFileSync(path.join(copy, dir, "package.json"), "utf8"));
    if (pending.length && manifest.version === oldVersions[dir])
      problems.push(`${manifest.name}: changeset version left it at ${manifest.version}`);
    if (!published.includes(`${manifest.name}@${manifest.version}`))
      problems.push(`${manifest.name}@${manifest.version} is not in pnpm publish --dry-run's output`);
  }
  // What the registry would get: pnpm replaces workspace: ranges with the new versions when packing.
  const packed = path.join(copy, ".packed");
  run("pnpm", ["pack", "--pack-destination", packed], path.join(copy, "apps", "cli"));
  const tarball = path.join(packed, readdirSync(packed)[0]);
  const cliManifest = JSON.parse(run("tar", ["-xzOf", tarball, "package/package.json"], copy));
  const deps = { ...cliManifest.dependencies };
  for (const [name, range] of Object.entries(deps)) {
    if (String(range).startsWith("workspace:")) problems.push(`@exprun/cli would depend on ${name}@${range}`);
  }
  const core = versionOf("packages/core", copy);
  if (deps["@exprun/core"] !== core)
    problems.push(`@exprun/cli would depend on @exprun/core@${deps["@exprun/core"]}, not ${core}`);

  const after = status();
  if (after !== before) problems.push(`the working tree changed:\n${after}`);
  if (problems.length) {
    console.error(`release dry run: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
    process.exitCode = 1;
  } else {
    const versions = publicPackages.map(
      (dir) => `${path.basename(dir)} ${oldVersions[dir]} → ${versionOf(dir, copy)}`,
    );
    console.log(
      `release dry run: ${pending.length} changeset(s) → ${publicPackages.length} packages would be published ` +
        `(${versions.join(", ")}); @exprun/cli depends on @exprun/core@${deps["@exprun/core"]}; tree unchanged.`,
    );
  }
} finally {
  if (keep) console.log(`kept ${copy}`);
  else rmSync(copy, { recursive: true, force: true });
}
