import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** How this copy of the CLI was installed, which decides what commands and install hints to print. */
export type InstallKind = "repository" | "project" | "global" | "npx";

export interface Install {
  kind: InstallKind;
  /** The project that depends on the CLI (kind "project"), else undefined. */
  project?: string;
  /** The package manager to name in hints. */
  manager: "npm" | "pnpm" | "yarn";
}

let cached: Install | undefined;

/** Where the running CLI lives: a clone of the repository, a project's dependency, a global install or npx. */
export function cliInstall(): Install {
  cached ??= detectInstall(realFile(fileURLToPath(import.meta.url)));
  return cached;
}

function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Exported for tests: classifies the path of the CLI's own file. */
export function detectInstall(file: string): Install {
  const parts = file.split(path.sep);
  const first = parts.indexOf("node_modules");
  if (first === -1) return { kind: "repository", manager: "pnpm" };
  const normalised = parts.join("/");
  if (normalised.includes("/_npx/")) return { kind: "npx", manager: "npm" };
  const pnpmGlobal = /\/pnpm\/global\//.test(normalised);
  const yarnGlobal = /\/yarn\/global\//.test(normalised) || /\/\.config\/yarn\//.test(normalised);
  const outside = parts.slice(0, first).join(path.sep) || path.sep;
  if (!pnpmGlobal && !yarnGlobal && dependsOnCli(path.join(outside, "package.json"))) {
    return { kind: "project", project: outside, manager: managerOf(outside) };
  }
  return { kind: "global", manager: pnpmGlobal ? "pnpm" : yarnGlobal ? "yarn" : "npm" };
}

function dependsOnCli(packageJson: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(packageJson, "utf8")) as Record<
      string,
      Record<string, string> | undefined
    >;
    return ["dependencies", "devDependencies", "optionalDependencies"].some((k) => pkg[k]?.["@exprun/cli"]);
  } catch {
    return false;
  }
}

function managerOf(dir: string): Install["manager"] {
  if (existsSync(path.join(dir, "pnpm-lock.yaml"))) return "pnpm";
  if (existsSync(path.join(dir, "yarn.lock"))) return "yarn";
  return "npm";
}

/** The command a user types to run the CLI: `pnpm exprun` in the repository, else `exprun`. */
export function invocation(install: Install = cliInstall()): string {
  if (install.kind === "repository") return "pnpm exprun";
  if (install.kind === "npx") return "npx @exprun/cli";
  return "exprun";
}

/** How to make `pkg` (a backend package the CLI does not ship) loadable, for this install. */
export function installHint(pkg: string, install: Install = cliInstall()): string {
  const add = (manager: Install["manager"], global = false) =>
    manager === "npm"
      ? `npm install${global ? " --global" : ""} ${pkg}`
      : `${manager} add${global ? " --global" : ""} ${pkg}`;
  switch (install.kind) {
    case "project":
      return `Install it in ${install.project}: ${add(install.manager)}`;
    case "global":
      return (
        `Install it in the project you run exprun from (exprun looks there first): ${add("npm")}, ` +
        `or next to this global exprun: ${add(install.manager, true)}`
      );
    case "npx":
      return `Run exprun together with it: npx -p @exprun/cli -p ${pkg} exprun …, or install it in your project: ${add("npm")}`;
    case "repository":
      return (
        `This exprun runs from the repository, where ${pkg} is not a dependency of the CLI: run it from a ` +
        `project that has it installed (${add("npm")} there), or add it to the CLI: pnpm --filter @exprun/cli add ${pkg}@workspace:*`
      );
  }
}
