import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMemoryBackend } from "@exprun/backend-memory";
import { afterEach, describe, expect, it } from "vitest";
import { ExperimentRun, init, readSeriesPoints, resetDefaults, startRun } from "../src/index.js";

const here = import.meta.dirname;
const child = path.join(here, "fixtures/signal-child.mjs");
const fileBackendDist = path.join(here, "../../backend-file/dist/index.js");

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the child script; once it printed "ready", sends `signal` (if any); resolves when it exited. */
function runChild(root: string, mode: string, signal?: NodeJS.Signals): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, root, mode], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let sent = false;
    proc.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (!sent && signal && stdout.includes("ready")) {
        sent = true;
        proc.kill(signal);
      }
    });
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    proc.on("error", reject);
    proc.on("close", (code, sig) => resolve({ code, signal: sig, stdout, stderr }));
  });
}

/** The runs' states and series as another process sees them afterwards. */
async function storeAfter(root: string) {
  const { createFileBackend } = (await import(
    fileBackendDist
  )) as typeof import("../../backend-file/src/index.js");
  const backend = createFileBackend({ root });
  const train = await backend.getRun({ experiment: "signals", run: "train" });
  const side = await backend.getRun({ experiment: "signals", run: "side" });
  const points = await readSeriesPoints(backend, { experiment: "signals", run: "train" });
  const sidePoints = await readSeriesPoints(backend, { experiment: "signals", run: "side" });
  await backend.close();
  return { train: train?.state, side: side?.state, points: points.length, sidePoints: sidePoints.length };
}

const tempRoot = () => mkdtemp(path.join(tmpdir(), "exprun-signals-"));

describe("interrupting a process with active runs (real child processes)", () => {
  it("needs the built file store", () => {
    expect(existsSync(fileBackendDist), "run `pnpm build` first").toBe(true);
  });

  // Guards against: Ctrl-C during startRun leaving the run RUNNING forever.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: buffers are flushed, every active run ends CANCELLED, the process dies of ${signal}`, async () => {
      const root = await tempRoot();
      const outcome = await runChild(root, "wait", signal);
      expect(outcome.signal, outcome.stderr).toBe(signal);
      expect(await storeAfter(root)).toEqual({
        train: "CANCELLED",
        side: "CANCELLED",
        points: 5,
        sidePoints: 1,
      });
    }, 60_000);
  }

  it("a user's own SIGINT handler keeps working: the process is not killed, the runs still end CANCELLED", async () => {
    const root = await tempRoot();
    const outcome = await runChild(root, "user-handler", "SIGINT");
    expect(outcome, outcome.stderr).toMatchObject({ code: 0, signal: null });
    expect(outcome.stdout).toContain("user handler ran; state CANCELLED");
  }, 60_000);

  it("init({ handleSignals: false }): the signal acts as if exprun were not there", async () => {
    const root = await tempRoot();
    const outcome = await runChild(root, "no-handling", "SIGINT");
    expect(outcome.signal).toBe("SIGINT");
    expect((await storeAfter(root)).train).toBe("RUNNING");
  }, 60_000);

  for (const [mode, message] of [
    ["throw", "training diverged"],
    ["reject", "data loader died"],
  ] as const) {
    it(`an uncaught ${mode === "throw" ? "exception" : "rejection"} ends the runs FAILED, then is reported as Node would (exit code 1)`, async () => {
      const root = await tempRoot();
      const outcome = await runChild(root, mode);
      expect(outcome.code, outcome.stderr).toBe(1);
      expect(outcome.stderr).toContain(message);
      expect(await storeAfter(root)).toEqual({ train: "FAILED", side: "FAILED", points: 5, sidePoints: 1 });
    }, 60_000);
  }
});

describe("handlers exist only while a run of this process is active", () => {
  afterEach(() => resetDefaults());

  const ours = (event: string) =>
    process
      .listeners(event as "SIGINT")
      .filter((l) => (l as unknown as { [k: symbol]: unknown })[Symbol.for("exprun.lifecycleHandler")])
      .length;

  it("installed by the first active run, removed when the last one ends", async () => {
    const backend = createMemoryBackend();
    init({ experiment: "exp1", backend });
    expect([ours("SIGINT"), ours("SIGTERM"), ours("uncaughtException")]).toEqual([0, 0, 0]);
    const a = await startRun("a");
    const b = await ExperimentRun.create("b", { experiment: "exp1", backend });
    expect([ours("SIGINT"), ours("SIGTERM"), ours("uncaughtException")]).toEqual([1, 1, 1]);
    await a.endRun();
    expect(ours("SIGINT")).toBe(1);
    await b.updateState("COMPLETE");
    expect([ours("SIGINT"), ours("SIGTERM"), ours("uncaughtException")]).toEqual([0, 0, 0]);
    const got = await ExperimentRun.get("a", { experiment: "exp1", backend });
    expect(ours("SIGINT")).toBe(0); // a run only read is not this process's active run
    await got.updateState("RUNNING");
    expect(ours("SIGINT")).toBe(1);
    init({ handleSignals: false });
    expect(ours("SIGINT")).toBe(0);
    init({ handleSignals: true });
    expect(ours("SIGINT")).toBe(1);
    await got.delete();
    expect(ours("SIGINT")).toBe(0);
  });
});
