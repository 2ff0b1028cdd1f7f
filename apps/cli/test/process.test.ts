import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, exprun, exprunJson, tempDir } from "./helpers/cli.js";

const tmp = tempDir();
afterAll(() => tmp.remove());
const MODULE_LOG = new URL("./helpers/module-log.mjs", import.meta.url).href;

/** Runs the CLI with a hook that records every module it loads. */
async function loadedModules(args: string[], name: string, env: Record<string, string | undefined> = {}) {
  const log = path.join(tmp.dir, `${name}.modules.txt`);
  const result = await exprun(args, {
    nodeArgs: ["--import", MODULE_LOG],
    env: { EXPRUN_MODULE_LOG: log, ...env },
    cwd: tmp.dir,
  });
  let modules: string[] = [];
  try {
    modules = readFileSync(log, "utf8").trim().split("\n");
  } catch {}
  return { result, modules };
}

const BUNDLE = pathToFileURL(BIN).href;
const CLOUD_SDK =
  /@aws-sdk|@smithy|@google-cloud|google-gax|google-auth-library|@grpc|backend-s3|backend-vertex/;

describe("which modules a command loads", () => {
  it("loads no AWS or Google SDK for commands on the file store", async () => {
    const store = `file:${path.join(tmp.dir, "sdk-store")}`;
    for (const [name, args] of [
      ["demo", ["demo", "--epochs", "2", "--backend", store]],
      ["list", ["runs", "list", "--backend", store, "--filter", "state = COMPLETE"]],
      ["show", ["runs", "show", "demo/logreg-lr0-5", "--backend", store]],
      ["export", ["export", "--backend", store]],
      ["copy", ["copy", "--from", store, "--to", `file:${path.join(tmp.dir, "sdk-copy")}`]],
    ] as const) {
      const { result, modules } = await loadedModules([...args], name);
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      // One bundle: the CLI, core and the file backend come from dist/exprun.js, not as packages.
      expect(
        modules.filter((m) => m.startsWith("file:")),
        name,
      ).toEqual([BUNDLE]);
      expect(
        modules.filter((m) => CLOUD_SDK.test(m)),
        name,
      ).toEqual([]);
    }
  });

  it("loads the AWS SDK only for an s3:// store, and reports its transport failure with exit code 2", async () => {
    const { result, modules } = await loadedModules(
      ["runs", "list", "--backend", "s3://no-bucket/prefix"],
      "s3",
      {
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL: "http://127.0.0.1:9",
        AWS_MAX_ATTEMPTS: "1",
        // Not set by the user: the CLI silences the SDK's Node-version warning itself.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
      },
    );
    expect(modules.some((m) => m.includes("@aws-sdk/client-s3"))).toBe(true);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^\[exprun\] \[s3\] .*ECONNREFUSED/m);
    expect(result.stderr).not.toContain("NodeVersionSupportWarning");
  });
});

describe("exit codes and messages", () => {
  it("gives 1 for an unknown option, an unknown command and a missing argument", async () => {
    const option = await exprun(["runs", "list", "--bogus"]);
    expect(option.code).toBe(1);
    expect(option.stderr).toContain("[exprun] unknown option '--bogus'");
    expect(option.stderr).toContain("--help");
    const command = await exprun(["launch"]);
    expect(command.code).toBe(1);
    expect(command.stderr).toContain("unknown command 'launch'");
    const argument = await exprun(["runs", "show"]);
    expect(argument.code).toBe(1);
    expect(argument.stderr).toContain("missing required argument 'run'");
  });

  it("gives 1 for an unknown URI scheme and 2 when the store cannot be opened", async () => {
    const scheme = await exprun(["runs", "list", "--backend", "ftp://host/x"]);
    expect(scheme.code).toBe(1);
    expect(scheme.stderr).toContain('Unknown backend URI "ftp://host/x"');
    const blocked = path.join(tmp.dir, "a-file");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(blocked, "not a directory");
    const broken = await exprun([
      "experiments",
      "create",
      "blocked",
      "--backend",
      `file:${path.join(blocked, "store")}`,
    ]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^\[exprun\] \[file\] /);
    expect(broken.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("store selection", () => {
  it("reports a missing file store to reading commands instead of creating it", async () => {
    const cwd = path.join(tmp.dir, "no-store");
    const { mkdirSync, readdirSync } = await import("node:fs");
    mkdirSync(cwd);
    for (const args of [["runs", "list"], ["experiments", "list"], ["runs", "show", "r"], ["export"]]) {
      const result = await exprun(args, { cwd });
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain(`No exprun store at ${path.join(cwd, ".exprun")}`);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("uses ./.exprun by default and EXPRUN_BACKEND when set", async () => {
    const cwd = path.join(tmp.dir, "default-cwd");
    const { mkdirSync, existsSync } = await import("node:fs");
    mkdirSync(cwd);
    expect((await exprun(["experiments", "create", "here"], { cwd })).code).toBe(0);
    expect(existsSync(path.join(cwd, ".exprun"))).toBe(true);
    const viaEnv = await exprunJson<{ name: string }[]>(["experiments", "list"], {
      env: { EXPRUN_BACKEND: `file:${path.join(cwd, ".exprun")}` },
    });
    expect(viaEnv.map((e) => e.name)).toEqual(["here"]);
    const viaFlag = await exprunJson<{ name: string }[]>(["experiments", "list", "--backend", "memory:"], {
      env: { EXPRUN_BACKEND: `file:${path.join(cwd, ".exprun")}` },
    });
    expect(viaFlag).toEqual([]);
  });
});

describe("colour", () => {
  const store = () => ["--backend", `file:${path.join(tmp.dir, "colour-store")}`];
  const ESC = "\u001b[";

  it("is off when output is not a terminal, and with NO_COLOR even when forced", async () => {
    await exprun(["runs", "create", "r", "-e", "colours", ...store()]);
    const piped = await exprun(["runs", "list", ...store()], { env: { NO_COLOR: undefined } });
    expect(piped.stdout).toContain("RUNNING");
    expect(piped.stdout).not.toContain(ESC);
    const noColor = await exprun(["runs", "list", ...store()], { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    expect(noColor.stdout).not.toContain(ESC);
    const flag = await exprun(["runs", "list", "--no-color", ...store()], {
      env: { NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(flag.stdout).not.toContain(ESC);
    const forced = await exprun(["runs", "list", ...store()], {
      env: { NO_COLOR: undefined, FORCE_COLOR: "1" },
    });
    expect(forced.stdout).toContain(ESC);
  });
});

describe("help", () => {
  const commands = [
    [],
    ["experiments"],
    ["experiments", "list"],
    ["experiments", "create"],
    ["experiments", "show"],
    ["experiments", "delete"],
    ["runs"],
    ["runs", "list"],
    ["runs", "show"],
    ["runs", "create"],
    ["runs", "end"],
    ["runs", "state"],
    ["runs", "tag"],
    ["runs", "note"],
    ["runs", "delete"],
    ["log"],
    ["log", "params"],
    ["log", "metrics"],
    ["log", "series"],
    ["compare"],
    ["plot"],
    ["export"],
    ["copy"],
    ["demo"],
  ];

  it("every command has --help with examples and the global options", async () => {
    for (const command of commands) {
      const result = await exprun([...command, "--help"]);
      expect(result.code, command.join(" ")).toBe(0);
      expect(result.stdout, command.join(" ")).toMatch(/Examples:\n {2}\$ .*exprun /);
      if (
        command.length === 2 ||
        ["compare", "plot", "export", "copy", "demo", "log"].includes(command[0] ?? "")
      ) {
        expect(result.stdout, command.join(" ")).toContain("--backend <uri>");
        expect(result.stdout, command.join(" ")).toContain("--json");
      }
    }
  });

  it("documents the JSON lines format and the filter grammar", async () => {
    expect((await exprun(["log", "--help"])).stdout).toContain('{"series":{"loss":0.3},"step":7}');
    expect((await exprun(["runs", "list", "--help"])).stdout).toContain("Filter grammar");
  });
});
