import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CheckedBackend } from "@exprun/core";
import type { ChildEvent, HoldTask, WriteTask } from "./child-runner.js";
import type { ChildProcessHook } from "./options.js";

/** The built runner next to this module (or, when the suite runs from its sources, in dist/). */
function runnerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  const runner = here.endsWith(".ts")
    ? path.join(dir, "..", "dist", "child-runner.js")
    : path.join(dir, "child-runner.js");
  if (!existsSync(runner)) {
    throw new Error(
      `[exprun] [conformance] ${runner} is missing: build @exprun/conformance first (pnpm build).`,
    );
  }
  return runner;
}

function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith("file:")) return module;
  return pathToFileURL(path.resolve(module)).href;
}

/** A child process running one task against the store; its events arrive as stdout lines. */
export class StoreChild {
  readonly #process: ChildProcess;
  readonly #events: ChildEvent[] = [];
  readonly #waiters: (() => void)[] = [];
  #stderr = "";
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  private constructor(
    spec: string,
    readonly label: string,
  ) {
    this.#process = spawn(process.execPath, [runnerPath(), spec], { stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.#process.stdout! }).on("line", (line) => {
      try {
        this.#events.push(JSON.parse(line) as ChildEvent);
      } catch {
        this.#stderr += `${line}\n`; // a store printing to stdout
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#process.stderr!.setEncoding("utf8").on("data", (d: string) => (this.#stderr += d));
    this.exited = new Promise((resolve, reject) => {
      this.#process.on("error", reject);
      this.#process.on("close", (code, signal) => {
        resolve({ code, signal });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  static async start(
    hook: ChildProcessHook,
    backend: CheckedBackend,
    task: WriteTask | HoldTask,
    label: string,
  ): Promise<StoreChild> {
    const spec = JSON.stringify({ module: moduleUrl(hook.module), config: await hook.config(backend), task });
    return new StoreChild(spec, label);
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves when the child reports `event`; rejects with its error (and stderr) when it fails or exits first. */
  async waitFor(event: "ready" | "done"): Promise<void> {
    for (;;) {
      const failed = this.#events.find((e) => e.event === "error");
      if (failed && failed.event === "error") {
        throw new Error(`[exprun] [conformance] ${this.label} failed: ${failed.message}\n${this.#stderr}`);
      }
      if (this.#events.some((e) => e.event === event)) return;
      if (this.#process.exitCode !== null || this.#process.signalCode !== null) {
        throw new Error(
          `[exprun] [conformance] ${this.label} exited (${this.#process.exitCode ?? this.#process.signalCode}) before "${event}".\n${this.#stderr}`,
        );
      }
      await new Promise<void>((wake) => this.#waiters.push(wake));
    }
  }

  /** Sends one line to the child's stdin. */
  tell(line: string): void {
    this.#process.stdin!.write(`${line}\n`);
  }

  /** Ends the child if it is still running (a test that failed half way). */
  kill(): void {
    if (this.#process.exitCode === null && this.#process.signalCode === null) this.#process.kill("SIGKILL");
  }
}
