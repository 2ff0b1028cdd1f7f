// @exprun/import (issue 15): import rate (points/s) and peak RSS of (a) a 1,000,000-point TensorBoard
// event file — and a 3,000,000-point one, to show memory does not grow with the file — and (b) a
// 1,000-run mlruns folder. Each measure runs in its own process (clean peak RSS). Baselines, measured
// in the same run: (a) walking the same TFRecord frames and decoding every Event with protobufjs (no
// CRC, no settling) — the floor any reader pays; (b) reading every file of the mlruns folder raw.
// Imports are dry runs (read, verify, settle, stream every point) until the store write lands.
import { spawnSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TB_POINTS = 1_000_000;
const TB_POINTS_BIG = 3_000_000;
const TAGS = ["train/loss", "train/accuracy", "val/loss", "val/accuracy"];
const RUNS = 1_000;
const MLRUNS_METRICS = ["loss", "accuracy", "lr"];
const MLRUNS_STEPS = 100;
const MiB = 1 << 20;
const here = fileURLToPath(import.meta.url);
let scratch = "";

/** One run of a worker in a fresh process (a clean peak RSS). */
function once(mode, target) {
  const child = spawnSync(process.execPath, ["--expose-gc", here, "--worker", mode, target], {
    encoding: "utf8",
    maxBuffer: 16 * MiB,
  });
  if (child.status !== 0) throw new Error(`${mode} worker exited ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

const median = (runs) => [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)];

/**
 * Medians of `repeats` runs of a baseline and a measure, taken in turn (A B A B …) so that load from
 * other processes on a shared machine weighs on both alike.
 */
function measurePair(baseline, measured, repeats = 3) {
  const a = [];
  const b = [];
  for (let k = 0; k < repeats; k++) {
    a.push(once(...baseline));
    b.push(once(...measured));
  }
  return [median(a), median(b)];
}

const fmt = (n, digits = 0) => Number(n.toFixed(digits)).toLocaleString("en-US");
const signed = (n) => `${n >= 0 ? "+" : "−"}${fmt(Math.abs(n))}`;

// (a) ───────────────────────────────────────────────────────────────────────────────────────────────
async function eventFiles(idle) {
  const small = writeEventFile(path.join(scratch, "tb-1m", "run"), TB_POINTS);
  const big = writeEventFile(path.join(scratch, "tb-3m", "run"), TB_POINTS_BIG);
  const [decode, imported] = measurePair(
    ["decode-tb", small.file],
    ["import-tb", path.join(scratch, "tb-1m")],
  );
  const importedBig = once("import-tb", path.join(scratch, "tb-3m")); // for its peak RSS
  if (imported.points !== TB_POINTS || importedBig.points !== TB_POINTS_BIG) {
    throw new Error(
      `imported ${imported.points} / ${importedBig.points} points, expected ${TB_POINTS} / ${TB_POINTS_BIG}`,
    );
  }
  const rate = (r) => r.points / (r.ms / 1000);
  const ratio = decode.ms / imported.ms;
  const growth = importedBig.maxRssMiB - imported.maxRssMiB;
  const fileGrowth = (big.bytes - small.bytes) / MiB;
  rows.push({
    measure: `(a) baseline: walk TFRecord frames + protobufjs Event decode, ${fmt(TB_POINTS)} points (${fmt(small.bytes / MiB, 1)} MiB)`,
    "points/s": fmt(rate(decode)),
    ms: fmt(decode.ms),
    "peak RSS MiB": fmt(decode.maxRssMiB),
    target: "—",
  });
  rows.push({
    measure: `(a) import tensorboard (dry run), ${fmt(TB_POINTS)} points: CRC-32C, decode, settle, stream`,
    "points/s": fmt(rate(imported)),
    ms: fmt(imported.ms),
    "peak RSS MiB": fmt(imported.maxRssMiB),
    target:
      ratio >= 0.5
        ? `met (≥ 0.5× baseline speed: ${ratio.toFixed(2)}×)`
        : `MISSED (≥ 0.5× baseline speed: ${ratio.toFixed(2)}×)`,
  });
  rows.push({
    measure: `(a) import tensorboard (dry run), ${fmt(TB_POINTS_BIG)} points (${fmt(big.bytes / MiB, 1)} MiB)`,
    "points/s": fmt(rate(importedBig)),
    ms: fmt(importedBig.ms),
    "peak RSS MiB": fmt(importedBig.maxRssMiB),
    target:
      growth <= fileGrowth / 2
        ? `met (3× the file, RSS ${signed(growth)} MiB for +${fmt(fileGrowth)} MiB of file; idle node ${fmt(idle)} MiB)`
        : `MISSED (RSS ${signed(growth)} MiB for +${fmt(fileGrowth)} MiB of file: grows with the file)`,
  });
}

// (b) ───────────────────────────────────────────────────────────────────────────────────────────────
async function mlruns(idle) {
  const root = path.join(scratch, "mlruns");
  const points = writeMlruns(root);
  const [raw, imported] = measurePair(["raw-mlruns", root], ["import-mlruns", root]);
  if (imported.points !== points || imported.runs !== RUNS) {
    throw new Error(
      `imported ${imported.runs} runs / ${imported.points} points, expected ${RUNS} / ${points}`,
    );
  }
  const ratio = raw.ms / imported.ms;
  rows.push({
    measure: `(b) baseline: read every file of a ${fmt(RUNS)}-run mlruns folder raw (${fmt(raw.files)} files)`,
    "points/s": fmt(points / (raw.ms / 1000)),
    ms: fmt(raw.ms),
    "peak RSS MiB": fmt(raw.maxRssMiB),
    target: "—",
  });
  rows.push({
    measure: `(b) import mlflow (dry run), ${fmt(RUNS)} runs × (5 params, 3 tags, 3 metrics × ${MLRUNS_STEPS} steps)`,
    "points/s": fmt(points / (imported.ms / 1000)),
    ms: fmt(imported.ms),
    "peak RSS MiB": fmt(imported.maxRssMiB),
    target:
      ratio >= 0.25
        ? `met (≥ 0.25× raw read: ${ratio.toFixed(2)}×; ${fmt(RUNS / (imported.ms / 1000))} runs/s)`
        : `MISSED (≥ 0.25× raw read: ${ratio.toFixed(2)}×)`,
  });
  void idle;
}

// ── generators (from the formats: TFRecord framing + Event protos; MLflow's FileStore layout) ──────────
function crcTable() {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  return t;
}
const CRC = crcTable();
function maskedCrc32c(bytes, start, end) {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  c = (c ^ -1) >>> 0;
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** One Event { wall_time, step, summary { value { tag, simple_value } } }, encoded by hand. */
function scalarEvent(wallTime, step, tag, value) {
  const tagBytes = Buffer.from(tag);
  const valueMsg = Buffer.alloc(2 + tagBytes.length + 5);
  valueMsg[0] = 0x0a;
  valueMsg[1] = tagBytes.length;
  tagBytes.copy(valueMsg, 2);
  valueMsg[2 + tagBytes.length] = 0x15;
  valueMsg.writeFloatLE(value, 3 + tagBytes.length);
  const stepBytes = [];
  for (let s = step; ; ) {
    if (s < 0x80) {
      stepBytes.push(s);
      break;
    }
    stepBytes.push((s & 0x7f) | 0x80);
    s = Math.floor(s / 128);
  }
  const summary = Buffer.concat([Buffer.from([0x0a, valueMsg.length]), valueMsg]);
  const head = Buffer.alloc(9);
  head[0] = 0x09;
  head.writeDoubleLE(wallTime, 1);
  return Buffer.concat([
    head,
    Buffer.from([0x10, ...stepBytes]),
    Buffer.from([0x2a, summary.length]),
    summary,
  ]);
}

function writeEventFile(dir, points) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "events.out.tfevents.1700000000.bench.1.0.v2");
  const fd = openSync(file, "w");
  let bytes = 0;
  let pending = [];
  let pendingBytes = 0;
  const flush = () => {
    const chunk = Buffer.concat(pending);
    writeSync(fd, chunk);
    bytes += chunk.length;
    pending = [];
    pendingBytes = 0;
  };
  for (let i = 0; i < points; i++) {
    const step = Math.floor(i / TAGS.length);
    const data = scalarEvent(1_700_000_000 + step * 0.01, step, TAGS[i % TAGS.length], Math.sin(i * 0.001));
    const frame = Buffer.alloc(16 + data.length);
    frame.writeBigUInt64LE(BigInt(data.length), 0);
    frame.writeUInt32LE(maskedCrc32c(frame, 0, 8), 8);
    data.copy(frame, 12);
    frame.writeUInt32LE(maskedCrc32c(data, 0, data.length), 12 + data.length);
    pending.push(frame);
    pendingBytes += frame.length;
    if (pendingBytes >= MiB) flush();
  }
  flush();
  closeSync(fd);
  return { file, bytes };
}

function writeMlruns(root) {
  const exp = path.join(root, "0");
  mkdirSync(path.join(root, ".trash"), { recursive: true });
  mkdirSync(exp, { recursive: true });
  writeFileSync(
    path.join(exp, "meta.yaml"),
    "artifact_location: file:///x\ncreation_time: 1700000000000\nexperiment_id: '0'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: Default\n",
  );
  let points = 0;
  for (let r = 0; r < RUNS; r++) {
    const id = r.toString(16).padStart(32, "0");
    const dir = path.join(exp, id);
    for (const sub of ["metrics", "params", "tags", "artifacts"])
      mkdirSync(path.join(dir, sub), { recursive: true });
    const start = 1_700_000_000_000 + r * 60_000;
    writeFileSync(
      path.join(dir, "meta.yaml"),
      `artifact_uri: file:///x/${id}/artifacts\nend_time: ${start + 50_000}\nentry_point_name: ''\nexperiment_id: '0'\n` +
        `lifecycle_stage: active\nrun_id: ${id}\nrun_name: run-${r}\nrun_uuid: ${id}\nsource_name: ''\nsource_type: 4\n` +
        `source_version: ''\nstart_time: ${start}\nstatus: 3\ntags: []\nuser_id: bench\n`,
    );
    for (const [k, v] of Object.entries({
      lr: "0.001",
      batch_size: "32",
      optimizer: "adam",
      layers: "4",
      seed: String(r),
    })) {
      writeFileSync(path.join(dir, "params", k), v);
    }
    for (const [k, v] of Object.entries({
      "mlflow.runName": `run-${r}`,
      "mlflow.user": "bench",
      "mlflow.source.type": "LOCAL",
    })) {
      writeFileSync(path.join(dir, "tags", k), v);
    }
    for (const m of MLRUNS_METRICS) {
      let text = "";
      for (let s = 0; s < MLRUNS_STEPS; s++) text += `${start + s * 100} ${Math.cos(s + r)} ${s}\n`;
      writeFileSync(path.join(dir, "metrics", m), text);
      points += MLRUNS_STEPS;
    }
  }
  return points;
}

// ── workers ────────────────────────────────────────────────────────────────────────────────────────
async function worker(mode, target) {
  if (mode === "idle") return {};
  if (mode === "decode-tb") return decodeBaseline(target);
  if (mode === "raw-mlruns") return rawRead(target);
  const { openMlflow, openTensorBoard, planImport } = await import("@exprun/import");
  const t0 = performance.now();
  const source =
    mode === "import-tb" ? await openTensorBoard(target, { experiment: "bench" }) : await openMlflow(target);
  const plan = await planImport(source);
  await source.close();
  return { ms: performance.now() - t0, points: plan.points, runs: plan.runs };
}

async function decodeBaseline(file) {
  const { default: protobuf } = await import("protobufjs");
  const root = protobuf.parse(
    `syntax = "proto3"; message Event { double wall_time = 1; int64 step = 2; Summary summary = 5; }
     message Summary { repeated Value value = 1; message Value { string tag = 1; float simple_value = 2; } }`,
  ).root;
  const Event = root.lookupType("Event");
  const t0 = performance.now();
  const fd = openSync(file, "r");
  const size = statSync(file).size;
  const buffer = Buffer.alloc(MiB);
  let points = 0;
  let position = 0;
  let carry = Buffer.alloc(0);
  while (position < size) {
    const n = (await import("node:fs")).readSync(fd, buffer, 0, buffer.length, position);
    position += n;
    let data = carry.length ? Buffer.concat([carry, buffer.subarray(0, n)]) : buffer.subarray(0, n);
    let at = 0;
    while (at + 12 <= data.length) {
      const length = Number(data.readBigUInt64LE(at));
      if (at + 16 + length > data.length) break;
      const event = Event.decode(data.subarray(at + 12, at + 12 + length));
      points += event.summary ? event.summary.value.length : 0;
      at += 16 + length;
    }
    carry = Buffer.from(data.subarray(at));
    data = undefined;
  }
  closeSync(fd);
  return { ms: performance.now() - t0, points };
}

function rawRead(root) {
  const t0 = performance.now();
  let files = 0;
  let bytes = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        bytes += readFileSync(full).length;
        files++;
      }
    }
  };
  walk(root);
  return { ms: performance.now() - t0, files, bytes };
}

const rows = [];

async function main() {
  if (process.argv[2] === "--worker") {
    const result = await worker(process.argv[3], process.argv[4]);
    process.stdout.write(JSON.stringify({ ...result, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  }
  scratch = mkdtempSync(path.join(os.tmpdir(), "exprun-bench-import-"));
  try {
    const idle = once("idle", "-").maxRssMiB;
    await eventFiles(idle);
    await mlruns(idle);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.table(rows);
  const missed = rows.filter((r) => String(r.target).startsWith("MISSED"));
  if (missed.length) console.log(`targets missed: ${missed.map((r) => r.measure).join("; ")}`);
}

await main();
