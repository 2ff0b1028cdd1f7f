// `pnpm pack:all [DIR]`: packs every public package of the repository into one folder (default
// ./packed) with pnpm's packing, which turns `workspace:*` ranges into the versions they point at
// (`npm pack` would leave them, and npm cannot install those). Prints the npm command that installs
// them, which is how to use exprun before its first release.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.resolve(process.argv[2] ?? path.join(root, "packed"));

/** Every public package folder under packages/ and apps/, in a stable order. */
function publicPackages() {
  return ["packages", "apps"]
    .flatMap((group) =>
      readdirSync(path.join(root, group))
        .sort()
        .map((name) => path.join(root, group, name)),
    )
    .filter((dir) => {
      try {
        return !JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).private;
      } catch {
        return false;
      }
    });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const dir of publicPackages()) {
  if (!readdirSync(dir).includes("dist")) {
    console.error(`${path.relative(root, dir)} has no dist/: run pnpm build first.`);
    process.exit(1);
  }
  execFileSync("pnpm", ["pack", "--pack-destination", out], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
}
const files = readdirSync(out)
  .filter((f) => f.endsWith(".tgz"))
  .sort();
console.log(`Packed ${files.length} packages into ${out}:`);
for (const file of files) console.log(`  ${file}`);
// The CLI needs the @exprun packages it depends on next to it.
const cliManifest = JSON.parse(readFileSync(path.join(root, "apps", "cli", "package.json"), "utf8"));
const cliDeps = Object.keys(cliManifest.dependencies)
  .filter((name) => name.startsWith("@exprun/"))
  .map((name) => name.slice("@exprun/".length));
// Absolute paths: the install runs in the user's project, not here.
const pick = (name) =>
  path.join(out, files.find((f) => f.startsWith(`exprun-${name}-`)) ?? `exprun-${name}-*.tgz`);
console.log(
  `\nInstall them in your project with npm (the ones you need; every package needs @exprun/core):\n` +
    `  npm install ${pick("core")} ${pick("backend-file")}\n` +
    `The CLI, globally:\n` +
    `  npm install --global ${["cli", ...cliDeps].map(pick).join(" ")}`,
);
