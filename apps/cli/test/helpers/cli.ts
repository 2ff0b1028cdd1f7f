import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The built binary: the tests run exactly what users run. `EXPRUN_TEST_BIN` points them at another
 * build (e.g. main's, to check that a new test fails there).
 */
export const BIN =
  process.env.EXPRUN_TEST_BIN ?? fileURLToPath(new URL("../../dist/exprun.js", import.meta.url));

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Extra `node` flags, e.g. `--import` of a test hook. */
  nodeArgs?: string[];
  /** Another copy of the binary (an installed one); default {@link BIN}. */
  bin?: string;
}

/** Runs `node dist/bin.js …args` as a child process with a clean exprun environment and no colour. */
export function exprun(args: string[], options: RunOptions = {}): Promise<Result> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  // NODE_PATH: pnpm and vitest set it to the workspace's hoisted packages, which a user's shell
  // does not have; the CLI would find backend packages there as if the project had them.
  for (const key of [
    "EXPRUN_BACKEND",
    "EXPRUN_EXPERIMENT",
    "EXPRUN_HOME",
    "EXPRUN_PLUGINS",
    "FORCE_COLOR",
    "NODE_PATH",
  ])
    delete env[key];
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Runs and parses stdout as JSON, failing with stderr when the command did not exit 0. */
export async function exprunJson<T = unknown>(args: string[], options: RunOptions = {}): Promise<T> {
  const result = await exprun([...args, "--json"], options);
  if (result.code !== 0) throw new Error(`exprun ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = "exprun-cli-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
