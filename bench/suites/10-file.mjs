// @exprun/backend-file (issue 3): (a) 1,000,000 time-series points from one process, against a raw
// JSON Lines baseline; (b) getDataFrame over 10,000 runs × 20 params × 20 metrics, against reading and
// parsing the same bytes raw; (c) 8 processes × 10,000 points into one run. Every number is measured in
// this run, on this machine. With `--worker`, this file is one of the processes of (c).
import { spawn } from "node:child_process";
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFileBackend } from "@exprun/backend-file";
import { Experiment, ExperimentRun, readSeriesPoints } from "@exprun/core";

const STEPS = 100_000;
const METRICS = 10;
const RUNS = 10_000;
const COLUMNS = 20;
const PROCESSES = 8;
const PER_PROCESS = 10_000;
const MiB = 1 << 20;

const metricNames = Array.from({ length: METRICS }, (_, m) => `metric_${m}`);
const value = (i, m) => Math.sin(i * 0.001 + m) * 10;
const wallTime0 = 1_700_000_000_000;

const fmt = (n, digits = 0) => Number(n.toFixed(digits)).toLocaleString("en-US");
const ms = (t0) => performance.now() - t0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gc = () => globalThis.gc?.();

if (process.argv[2] === "--worker") {
  await worker(process.argv[3], Number(process.argv[4]));
  process.exit(0);
}

const scratch = mkdtempSync(path.join(os.tmpdir(), "exprun-bench-file-"));
const rows = [];

try {
  await timeSeries();
  await dataFrame();
  await processes();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.table(rows);
const failed = rows.filter((r) => r.target.startsWith("MISSED"));
if (failed.length) console.log(`targets missed: ${failed.map((r) => r.measure).join("; ")}`);

// (a) ──────────────────────────────────────────────────────────────────────────────────────────────
function rawTimeSeries(file) {
  const t0 = performance.now();
  const fd = openSync(file, "a");
  let chunk = "";
  for (let i = 0; i < STEPS; i++) {
    for (let m = 0; m < METRICS; m++) {
      chunk += `${JSON.stringify({ metric: metricNames[m], step: i + 1, wallTime: wallTime0 + i, value: value(i, m) })}\n`;
    }
    if (chunk.length >= MiB) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  if (chunk) writeSync(fd, chunk);
  fsyncSync(fd);
  closeSync(fd);
  return ms(t0);
}

async function fileTimeSeries(root, api) {
  const backend = createFileBackend({ root });
  const experiment = "series";
  await Experiment.create(experiment, { backend });
  const run = await ExperimentRun.create("run", { experiment, backend });
  const ref = { experiment, run: "run" };
  gc();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) {
    const values = {};
    for (let m = 0; m < METRICS; m++) values[metricNames[m]] = value(i, m);
    if (api === "core") await run.logTimeSeriesMetrics(values, { step: i + 1, wallTime: wallTime0 + i });
    else await backend.appendTimeSeries(ref, [{ step: i + 1, wallTime: wallTime0 + i, values }]);
  }
  await run.endRun(); // flushes and fsyncs
  const elapsed = ms(t0);
  const stored = (await readSeriesPoints(backend, ref)).length;
  await backend.close();
  return { elapsed, stored };
}

async function timeSeries() {
  const points = STEPS * METRICS;
  const raw = median([0, 1, 2].map((k) => rawTimeSeries(path.join(scratch, `raw-${k}.jsonl`))));
  rows.push(
    row("(a) raw baseline: JSON.stringify → JSONL, 1 MiB appends, 1 fsync", raw, points, "points", "—"),
  );
  for (const api of ["core", "backend"]) {
    const runs = [];
    for (let k = 0; k < 3; k++) runs.push(await fileTimeSeries(path.join(scratch, `ts-${api}-${k}`), api));
    const elapsed = median(runs.map((r) => r.elapsed));
    const lost = points - Math.min(...runs.map((r) => r.stored));
    const rate = points / (elapsed / 1000);
    const ratio = raw / elapsed;
    const label =
      api === "core"
        ? "(a) file: run.logTimeSeriesMetrics ×100,000 (10 metrics) + endRun"
        : "(a) file: backend.appendTimeSeries ×100,000 (10 metrics) + flush";
    const ok = rate >= 1_000_000 && ratio >= 0.5 && lost === 0;
    rows.push({
      ...row(label, elapsed, points, "points"),
      "× raw": `${ratio.toFixed(2)}× raw speed`,
      target:
        api === "core" ? (ok ? "met (≥1M/s, ≥0.5× raw)" : `MISSED: ${misses(rate, ratio, lost)}`) : "info",
    });
  }
}

// (b) ──────────────────────────────────────────────────────────────────────────────────────────────
async function writeExperiment(root) {
  const backend = createFileBackend({ root, fsync: false }); // setup only: not measured
  await backend.createExperiment({ name: "frame" });
  for (let i = 0; i < RUNS; i++) {
    const ref = { experiment: "frame", run: `run-${String(i).padStart(5, "0")}` };
    const params = {};
    const metrics = {};
    for (let k = 0; k < COLUMNS; k++) {
      params[`param_${k}`] = k % 3 === 0 ? `value-${i % 7}` : i * 0.01 + k;
      metrics[`metric_${k}`] = Math.cos(i + k);
    }
    await backend.createRun("frame", { name: ref.run, state: "RUNNING" });
    await backend.updateRun(ref, { params });
    await backend.updateRun(ref, { metrics, state: "COMPLETE" });
  }
  await backend.close();
}

/** What a reader of this layout minimally does: read the snapshot and the log tail after it, and parse them. */
function rawRead(root) {
  const dir = path.join(root, "experiments", "frame");
  const t0 = performance.now();
  let bytes = 0;
  let offset = 0;
  try {
    const snapshot = readFileSync(path.join(dir, "runs.snapshot.json"));
    bytes += snapshot.length;
    offset = JSON.parse(snapshot.toString("utf8")).logBytes;
  } catch {}
  const log = readFileSync(path.join(dir, "runs.jsonl"));
  const tail = log.subarray(offset).toString("utf8");
  bytes += log.length - offset;
  let records = 0;
  for (const line of tail.split("\n")) {
    if (line) {
      JSON.parse(line);
      records++;
    }
  }
  return { elapsed: ms(t0), bytes, records };
}

async function dataFrame() {
  const root = path.join(scratch, "frame");
  const t0 = performance.now();
  await writeExperiment(root);
  const setup = ms(t0);
  const times = [];
  let frame;
  for (let k = 0; k < 5; k++) {
    gc();
    const backend = createFileBackend({ root }); // fresh: nothing cached in memory
    const t = performance.now();
    frame = await Experiment.get("frame", { backend }).then((e) => e.getDataFrame());
    times.push(ms(t));
    await backend.close();
  }
  const lists = [];
  for (let k = 0; k < 5; k++) {
    gc();
    const backend = createFileBackend({ root });
    const t = performance.now();
    await backend.listRuns("frame", { withLatestTimeSeries: true });
    lists.push(ms(t));
    await backend.close();
  }
  const raws = [];
  let info;
  for (let k = 0; k < 5; k++) {
    gc();
    info = rawRead(root);
    raws.push(info.elapsed);
  }
  const elapsed = median(times);
  const raw = median(raws);
  const columns = Object.keys(frame[0]).length;
  rows.push(
    row(
      `(b) raw: read + JSON.parse the same ${fmt(info.bytes / MiB, 1)} MiB (snapshot + ${fmt(info.records)} log lines)`,
      raw,
      RUNS,
      "runs",
      "—",
    ),
  );
  const ok = elapsed <= 1000 && elapsed <= 3 * raw && frame.length === RUNS;
  const why = [elapsed > 1000 ? "> 1 s" : "", elapsed > 3 * raw ? "> 3× raw" : ""].filter(Boolean).join(", ");
  rows.push({
    ...row(
      `(b) file: Experiment.getDataFrame() → ${fmt(frame.length)} rows × ${columns} columns`,
      elapsed,
      RUNS,
      "runs",
    ),
    "× raw": `${(elapsed / raw).toFixed(2)}× raw time`,
    target: ok ? "met (≤1 s, ≤3× raw)" : `MISSED: ${why}`,
  });
  const list = median(lists);
  rows.push({
    ...row(
      "(b) of which the store: backend.listRuns(withLatestTimeSeries), fresh backend",
      list,
      RUNS,
      "runs",
    ),
    "× raw": `${(list / raw).toFixed(2)}× raw time`,
    target: "info (the rest is core's DataFrame building)",
  });
  rows.push({
    measure: `(b) setup (not a target): 30,000 writes, fsync off`,
    ms: fmt(setup),
    rate: "",
    "× raw": "",
    target: "info",
  });
}

// (c) ──────────────────────────────────────────────────────────────────────────────────────────────
async function worker(root, w) {
  const backend = createFileBackend({ root });
  const run = await ExperimentRun.get("shared", { experiment: "multi", backend });
  const t0 = performance.now();
  for (let i = 0; i < PER_PROCESS; i++) {
    await run.logTimeSeriesMetrics({ [`w${w}`]: i }, { step: i + 1, wallTime: wallTime0 + i });
  }
  await run.flush();
  process.stdout.write(`${JSON.stringify({ elapsed: ms(t0) })}\n`);
  await backend.close();
}

async function processes() {
  const root = path.join(scratch, "multi");
  const backend = createFileBackend({ root });
  await Experiment.create("multi", { backend });
  await ExperimentRun.create("shared", { experiment: "multi", backend });
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from(
      { length: PROCESSES },
      (_, w) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [self, "--worker", root, String(w)], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          child.stdout.on("data", (d) => (out += d));
          child.on("error", reject);
          child.on("close", (code) =>
            code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${w}: ${code}`)),
          );
        }),
    ),
  );
  const wall = ms(t0);
  const points = await readSeriesPoints(backend, { experiment: "multi", run: "shared" });
  const expected = PROCESSES * PER_PROCESS;
  const distinct = new Set(points.map((p) => `${p.metric}@${p.step}`)).size;
  const lost = expected - distinct;
  const slowest = Math.max(...results.map((r) => r.elapsed));
  await backend.close();
  rows.push({
    ...row(
      `(c) file: ${PROCESSES} processes × ${fmt(PER_PROCESS)} points, one run (logging time)`,
      slowest,
      expected,
      "points",
    ),
    target: lost === 0 ? `met: ${lost} lost` : `MISSED: ${fmt(lost)} lost`,
  });
  rows.push({
    ...row(`(c) same, wall time incl. ${PROCESSES} process start-ups`, wall, expected, "points"),
    target: "info",
  });
}

function misses(rate, ratio, lost) {
  const why = [];
  if (rate < 1_000_000) why.push("< 1M points/s");
  if (ratio < 0.5) why.push("< 0.5× raw");
  if (lost > 0) why.push(`${lost} lost`);
  return why.join(", ");
}

function row(measure, elapsed, count, unit, ratio = "") {
  return {
    measure,
    ms: fmt(elapsed, 1),
    rate: `${fmt(count / (elapsed / 1000))} ${unit}/s`,
    "× raw": ratio,
    target: "",
  };
}
