import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = path.join(here, "..", "dist", "index.js");

/** Child processes run the built package, as a user's workers would. */
export function requireBuilt(): void {
  if (!existsSync(dist)) throw new Error(`Build @exprun/backend-file first (${dist} is missing).`);
}

export function fixture(name: string): string {
  return path.join(here, "fixtures", name);
}

export function startNode(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

/** Resolves with the exit code, stdout and stderr once the process has exited. */
export function finished(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A child that talks in lines: wait for a line it prints, send it a line on stdin. */
export interface Conversation {
  child: ChildProcess;
  /** Resolves once the child has printed `line` (a whole line of stdout). */
  waitFor(line: string): Promise<void>;
  send(line: string): void;
  done: ReturnType<typeof finished>;
}

export function startConversation(script: string, args: string[]): Conversation {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const done = finished(child);
  let seen = "";
  const waiters: { line: string; resolve: () => void }[] = [];
  const check = () => {
    const lines = seen.split("\n");
    for (const waiter of [...waiters]) {
      if (lines.includes(waiter.line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout!.on("data", (d: Buffer) => {
    seen += d.toString("utf8");
    check();
  });
  return {
    child,
    done,
    waitFor: (line) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ line, resolve });
        check();
        done.then((r) =>
          reject(new Error(`child exited (${r.code ?? r.signal}) before "${line}": ${r.stderr}`)),
        );
      }),
    send: (line) => child.stdin!.write(`${line}\n`),
  };
}
