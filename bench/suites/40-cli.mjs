// @exprun/cli (issue 16, item 12): cold start of `exprun runs list` on a file store of 1,000 runs
// (target ≤ 250 ms, median of several runs), against `node -e ''` (the floor every Node CLI pays)
// measured in the same run, and `exprun --version` (the CLI's own module loading, no store). The
// shipped binary is one esbuild bundle (dist/exprun.js); the same code unbundled (tsc's dist/bin.js,
// ~80 modules of the CLI, core and the file backend) is timed next to it as the "before". Also times
// one full and one incremental `exprun copy` of that store. Commands run from an empty folder, as a
// user's would: inside a project that has its own @exprun/backend-file the CLI loads that one.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createFileBackend } from "@exprun/backend-file";

const RUNS = 1_000;
const REPEATS = 7;
const TARGET_MS = 250;

const require = createRequire(import.meta.url);
const cliDir = path.dirname(require.resolve("@exprun/cli/package.json"));
const bin = path.join(cliDir, require("@exprun/cli/package.json").bin.exprun);
const unbundled = path.join(cliDir, "dist", "bin.js");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const scratch = mkdtempSync(path.join(os.tmpdir(), "exprun-bench-cli-"));
const root = path.join(scratch, "store");
// pnpm puts the workspace's packages on NODE_PATH; a user's shell has none.
const { NODE_PATH: _nodePath, ...cleanEnv } = process.env;

function time(args, env = {}) {
  const samples = [];
  let output = "";
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const result = spawnSync(process.execPath, args, {
      cwd: scratch,
      encoding: "utf8",
      env: { ...cleanEnv, NO_COLOR: "1", ...env },
      maxBuffer: 64 << 20,
    });
    samples.push(performance.now() - t0);
    if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    output = result.stdout;
  }
  return { ms: median(samples), output };
}

try {
  const backend = createFileBackend({ root, fsync: false });
  await backend.createExperiment({ name: "bench", description: "" });
  for (let i = 0; i < RUNS; i++) {
    const ref = { experiment: "bench", run: `run-${i}` };
    await backend.createRun("bench", { name: ref.run, state: "RUNNING" });
    await backend.updateRun(ref, {
      params: { lr: 0.001 * (i % 10), batch: 32, optimizer: i % 2 ? "adam" : "sgd", layers: i % 5, seed: i },
      metrics: { accuracy: (i % 100) / 100, loss: 1 / (i + 1), f1: 0.5, auc: 0.7, epochs: 10 },
      state: "COMPLETE",
    });
  }
  await backend.close?.();

  const node = time(["-e", ""]);
  const version = time([bin, "--version"]);
  const list = time([bin, "runs", "list", "--backend", `file:${root}`]);
  const listUnbundled = time([unbundled, "runs", "list", "--backend", `file:${root}`]);
  const versionUnbundled = time([unbundled, "--version"]);
  const listJson = time([bin, "runs", "list", "--json", "--backend", `file:${root}`]);
  const filtered = time([
    bin,
    "runs",
    "list",
    "--backend",
    `file:${root}`,
    "--filter",
    "metric.accuracy > 0.9 and param.optimizer = adam",
    "--sort",
    "-metric.accuracy",
  ]);
  // Copy of the whole store to a new one, then again (incremental: nothing to write), timed once each.
  const copyArgs = [
    bin,
    "copy",
    "--from",
    `file:${root}`,
    "--to",
    `file:${path.join(scratch, "copy")}`,
    "--json",
  ];
  const once = (args) => {
    const t0 = performance.now();
    const result = spawnSync(process.execPath, args, {
      cwd: scratch,
      encoding: "utf8",
      env: { ...cleanEnv, NO_COLOR: "1" },
    });
    if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    return { ms: performance.now() - t0, summary: JSON.parse(result.stdout) };
  };
  const firstCopy = once(copyArgs);
  const secondCopy = once(copyArgs);
  if (firstCopy.summary.runs.created !== RUNS || secondCopy.summary.runs.unchanged !== RUNS) {
    throw new Error(`copy did not create then skip ${RUNS} runs: ${JSON.stringify(secondCopy.summary.runs)}`);
  }
  const listed = JSON.parse(listJson.output).length;
  if (listed !== RUNS) throw new Error(`runs list --json listed ${listed} runs, expected ${RUNS}`);

  const row = (measure, m, target) => ({
    measure,
    "median ms": Math.round(m),
    "ms above node -e ''": Math.round(m - node.ms),
    "× node -e ''": Number((m / node.ms).toFixed(2)),
    target,
  });
  // On a loaded machine Node's own start-up eats the budget; say so next to a miss.
  const verdict = (m) =>
    m <= TARGET_MS
      ? `≤ ${TARGET_MS} ms: met`
      : `MISSED (≤ ${TARGET_MS} ms${node.ms > TARGET_MS / 4 ? `; node -e '' alone: ${Math.round(node.ms)} ms` : ""})`;
  const rows = [
    row("node -e '' (baseline)", node.ms, ""),
    row("exprun --version (bundle)", version.ms, ""),
    row("exprun --version (unbundled: before)", versionUnbundled.ms, ""),
    row(`exprun runs list (${RUNS} runs, table; bundle)`, list.ms, verdict(list.ms)),
    row(`exprun runs list (${RUNS} runs, table; unbundled: before)`, listUnbundled.ms, ""),
    row(`exprun runs list --json (${RUNS} runs)`, listJson.ms, ""),
    row("exprun runs list --filter … --sort …", filtered.ms, ""),
    row(`exprun copy file → file, ${RUNS} runs (once)`, firstCopy.ms, ""),
    row(`exprun copy again: 0 written, ${RUNS} compared (once)`, secondCopy.ms, ""),
  ];
  console.log(`median of ${REPEATS} cold starts each; store: ${RUNS} runs × 5 params × 5 metrics`);
  console.table(rows);
  console.log(
    `bundle vs unbundled: runs list ${(listUnbundled.ms / list.ms).toFixed(2)}× faster ` +
      `(${Math.round(listUnbundled.ms - list.ms)} ms saved), --version ${(versionUnbundled.ms / version.ms).toFixed(2)}×`,
  );
  const missed = rows.filter((r) => r.target.startsWith("MISSED"));
  if (missed.length) console.log(`targets missed: ${missed.map((r) => r.measure).join("; ")}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
