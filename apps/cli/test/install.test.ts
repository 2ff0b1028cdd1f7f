// The CLI as users get it: packed (pnpm pack, as a release would), installed globally from its
// tarball into a separate prefix, and run from a project folder that has its own backend packages and
// a plugin for a custom store. This is what `npm install --global @exprun/cli` will give.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectInstall, installHint } from "../src/install.js";
import { exprun, tempDir } from "./helpers/cli.js";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const tmp = tempDir("exprun-install-");
const tarballs = path.join(tmp.dir, "tarballs");
const prefix = path.join(tmp.dir, "prefix");
const project = path.join(tmp.dir, "project");
const globalBin = path.join(prefix, "lib", "node_modules", "@exprun", "cli", "dist", "exprun.js");
const MODULE_LOG = new URL("./helpers/module-log.mjs", import.meta.url).href;

const tarball = (name: string) =>
  path.join(tarballs, readdirSync(tarballs).find((f) => f.startsWith(`exprun-${name}-`))!);
const npm = (args: string[], cwd: string) =>
  // A fresh CI machine downloads the SDKs (AWS, Google) once; --prefer-offline reuses npm's cache
  // without asking the registry again for what it already holds.
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NODE_PATH: "" },
    timeout: 900_000,
  });

/** The globally installed CLI, run from the project folder. */
const globalExprun = (args: string[], options: { env?: Record<string, string>; nodeArgs?: string[] } = {}) =>
  exprun(args, { cwd: project, bin: globalBin, ...options });

beforeAll(async () => {
  mkdirSync(tarballs);
  // The CLI and every @exprun package it depends on, plus what the project installs.
  const cliDeps = Object.keys(
    (
      JSON.parse(readFileSync(path.join(repo, "apps", "cli", "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
      }
    ).dependencies,
  )
    .filter((name) => name.startsWith("@exprun/"))
    .map((name) => name.slice("@exprun/".length));
  const dirs = new Set([...cliDeps, "core", "backend-file", "backend-memory", "backend-vertex"]);
  for (const dir of ["apps/cli", ...[...dirs].map((name) => `packages/${name}`)]) {
    execFileSync("pnpm", ["pack", "--pack-destination", tarballs], {
      cwd: path.join(repo, dir),
      stdio: "ignore",
    });
  }
  const cliTarballs = ["cli", ...cliDeps].map(tarball);
  npm(["install", "--global", "--prefix", prefix, ...cliTarballs], tmp.dir);

  // A project with its own core, file and Vertex backends, and two plugins for custom stores: one
  // named in package.json (a package), one only in EXPRUN_PLUGINS (a file).
  mkdirSync(path.join(project, "plugins", "exprun-kv"), { recursive: true });
  writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({
      name: "user-project",
      private: true,
      type: "module",
      exprun: { plugins: ["exprun-kv"] },
    }),
  );
  writeFileSync(
    path.join(project, "plugins", "exprun-kv", "package.json"),
    JSON.stringify({ name: "exprun-kv", version: "1.0.0", type: "module", exports: "./index.js" }),
  );
  // The custom store: a scheme of its own over the project's file backend, registered with the
  // project's copy of @exprun/core (not the CLI's bundled one).
  writeFileSync(
    path.join(project, "plugins", "exprun-kv", "index.js"),
    `import { registerBackendScheme } from "@exprun/core";
import { createFileBackend } from "@exprun/backend-file";
registerBackendScheme("kv", ({ uri }) => createFileBackend({ root: uri.slice("kv:".length) }));
`,
  );
  writeFileSync(
    path.join(project, "second.mjs"),
    `import { registerBackendScheme } from "@exprun/core";
import { createMemoryBackend } from "@exprun/backend-memory";
registerBackendScheme("scratch", () => createMemoryBackend());
`,
  );
  npm(
    [
      "install",
      ...["core", "backend-file", "backend-memory", "backend-vertex"].map(tarball),
      path.join(project, "plugins", "exprun-kv"),
    ],
    project,
  );
}, 1_200_000);
afterAll(() => tmp.remove());

describe("a global exprun installed from its tarball", () => {
  it("runs, and suggests commands as installed users type them", async () => {
    const result = await globalExprun(["demo", "--epochs", "2"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\nNext:\n {2}exprun runs show demo\//);
    expect(result.stdout).not.toContain("pnpm exprun");
  });

  // Guards against a global exprun ignoring the @exprun/backend-vertex of the project it runs in.
  it("uses the backend packages of the project it runs in, before its own", async () => {
    const log = path.join(tmp.dir, "vertex.modules.txt");
    // The name is checked before any request, so this needs no Google account.
    const result = await globalExprun(
      ["runs", "create", "Bad_Name", "-e", "x", "-b", "vertex://my-project/us-central1"],
      {
        nodeArgs: ["--import", MODULE_LOG],
        env: { EXPRUN_MODULE_LOG: log },
      },
    );
    expect(result.stderr).toContain("Invalid run name");
    expect(result.stderr).not.toContain("needs @exprun/backend-vertex");
    const modules = readFileSync(log, "utf8");
    expect(modules).toContain(`${path.join(project, "node_modules", "@exprun", "backend-vertex")}`);
    const fileLog = path.join(tmp.dir, "file.modules.txt");
    await globalExprun(["runs", "list"], {
      nodeArgs: ["--import", MODULE_LOG],
      env: { EXPRUN_MODULE_LOG: fileLog },
    });
    expect(readFileSync(fileLog, "utf8")).toContain(
      path.join(project, "node_modules", "@exprun", "backend-file"),
    );
  });

  it("says how to install a backend it cannot find, for a global install", async () => {
    const elsewhere = path.join(tmp.dir, "no-project");
    mkdirSync(elsewhere);
    const result = await exprun(["runs", "list", "-b", "vertex://my-project/us-central1"], {
      cwd: elsewhere,
      bin: globalBin,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      "Install it in the project you run exprun from (exprun looks there first): npm install @exprun/backend-vertex, " +
        "or next to this global exprun: npm install --global @exprun/backend-vertex",
    );
  });

  // Guards against "Unknown backend URI" for a custom store's scheme, whatever the user tried.
  it("opens a custom store's scheme from the plugins named in package.json and EXPRUN_PLUGINS", async () => {
    const kv = `kv:${path.join(tmp.dir, "kv-store")}`;
    const created = await globalExprun(["experiments", "create", "plugged", "-b", kv]);
    expect(created.code, created.stderr).toBe(0);
    const listed = await globalExprun(["experiments", "list", "-b", kv, "--json"]);
    expect(JSON.parse(listed.stdout).map((e: { name: string }) => e.name)).toEqual(["plugged"]);
    expect(readdirSync(path.join(tmp.dir, "kv-store")).length).toBeGreaterThan(0);

    const scratch = await globalExprun(["experiments", "list", "-b", "scratch:", "--json"], {
      env: { EXPRUN_PLUGINS: "./second.mjs" },
    });
    expect(scratch.code, scratch.stderr).toBe(0);
    expect(JSON.parse(scratch.stdout)).toEqual([]);
    const missing = await globalExprun(["experiments", "list", "-b", "scratch:"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('EXPRUN_PLUGINS=./module.mjs or in "exprun": { "plugins"');
    // The way the issue tried it: a registering module preloaded with node --import.
    const preloaded = await globalExprun(["experiments", "list", "-b", "scratch:", "--json"], {
      nodeArgs: ["--import", path.join(project, "second.mjs")],
    });
    expect(preloaded.code, preloaded.stderr).toBe(0);
  });
});

describe("install hints", () => {
  it("fit how the CLI was installed", () => {
    const sep = path.sep;
    const global = detectInstall(
      ["", "usr", "lib", "node_modules", "@exprun", "cli", "dist", "exprun.js"].join(sep),
    );
    expect(global.kind).toBe("global");
    const npx = detectInstall(
      ["", "root", ".npm", "_npx", "abc", "node_modules", "@exprun", "cli", "dist", "exprun.js"].join(sep),
    );
    expect(installHint("@exprun/backend-vertex", npx)).toContain(
      "npx -p @exprun/cli -p @exprun/backend-vertex exprun",
    );
    const repository = detectInstall(path.join(repo, "apps", "cli", "dist", "exprun.js"));
    expect(repository.kind).toBe("repository");
    const app = path.join(tmp.dir, "app");
    mkdirSync(path.join(app, "node_modules", "@exprun", "cli", "dist"), { recursive: true });
    writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({ devDependencies: { "@exprun/cli": "0.1.0" } }),
    );
    writeFileSync(path.join(app, "pnpm-lock.yaml"), "lockfileVersion: '9.0'\n");
    const local = detectInstall(path.join(app, "node_modules", "@exprun", "cli", "dist", "exprun.js"));
    expect(local).toEqual({ kind: "project", project: app, manager: "pnpm" });
    expect(installHint("@exprun/backend-vertex", local)).toBe(
      `Install it in ${app}: pnpm add @exprun/backend-vertex`,
    );
  });
});
