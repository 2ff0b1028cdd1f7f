// @exprun/backend-s3 against a local s3rver (in this process, 127.0.0.1, temp directory): time-series
// throughput and the S3 requests it costs, and the requests needed to read a 1,000-run experiment.
// Requests are counted by the server, retries included.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

// s3rver's paged listings need DES (OpenSSL's legacy provider); the runner starts suites without it.
if (!process.execArgv.includes("--openssl-legacy-provider")) {
  const child = spawnSync(
    process.execPath,
    ["--openssl-legacy-provider", ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: "inherit",
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  );
  process.exit(child.status ?? 1);
}

const { default: S3rver } = await import("s3rver");
const { createS3Backend } = await import("@exprun/backend-s3");
const { Experiment, ExperimentRun, readSeriesPoints } = await import("@exprun/core");

const BUCKET = "exprun-bench";
const STEPS = Number(process.env.S3_BENCH_STEPS ?? 10_000);
const METRICS = 10;
const RUNS = Number(process.env.S3_BENCH_RUNS ?? 1_000);
const SHARED_RUNS = Number(process.env.S3_BENCH_SHARED_RUNS ?? 100);
const fmt = (n, digits = 0) => Number(n.toFixed(digits)).toLocaleString("en-US");

const directory = mkdtempSync(path.join(os.tmpdir(), "exprun-bench-s3-"));
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  directory,
  silent: true,
  configureBuckets: [{ name: BUCKET }],
});
// s3rver removes a directory when its last object goes; a PUT racing into it then never answers.
// S3 has no directories: let deletes remove only the object's files.
const store = server.store;
store.deleteObject = async (bucket, key) => {
  const files = ["object", "object.md5", "metadata.json"].map((kind) =>
    store.getResourcePath(bucket, key, kind),
  );
  await Promise.all(
    files.map((file) =>
      unlink(file).catch((error) => {
        if (error.code !== "ENOENT") throw error;
      }),
    ),
  );
};
const counts = { total: 0, byMethod: {} };
server.middleware.unshift(async (ctx, next) => {
  counts.total++;
  counts.byMethod[ctx.method] = (counts.byMethod[ctx.method] ?? 0) + 1;
  await next();
});
const { port } = await server.run();
// Each backend builds (and on close destroys) its own client, as separate machines would.
const clientConfig = {
  endpoint: `http://127.0.0.1:${port}`,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
};
const open = (prefix, options = {}) =>
  createS3Backend({
    bucket: BUCKET,
    prefix,
    clientConfig,
    claimSettleMs: 20,
    flushIntervalMs: 0,
    ...options,
  });
const measure = async (fn) => {
  const before = counts.total;
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, requests: counts.total - before, result };
};
const rows = [];

// 1. 10,000 steps × 10 metrics through run.logTimeSeriesMetrics, then endRun (makes them durable).
{
  const backend = open("ts");
  await Experiment.create("series-bench", { backend });
  const run = await ExperimentRun.create("run", { experiment: "series-bench", backend });
  const metricNames = Array.from({ length: METRICS }, (_, m) => `metric_${m}`);
  const { ms, requests } = await measure(async () => {
    for (let i = 0; i < STEPS; i++) {
      const values = {};
      for (let m = 0; m < METRICS; m++) values[metricNames[m]] = Math.sin(i * 0.001 + m);
      await run.logTimeSeriesMetrics(values, { step: i + 1, wallTime: 1_700_000_000_000 + i });
    }
    await run.endRun();
  });
  const points = STEPS * METRICS;
  rows.push({
    measure: `logTimeSeriesMetrics ×${fmt(STEPS)} (${METRICS} metrics) + endRun`,
    ms: fmt(ms, 1),
    rate: `${fmt(points / (ms / 1000))} points/s`,
    requests: `${fmt(requests)} (${fmt((requests * 10_000) / points, 2)} per 10,000 points)`,
  });
  await backend.close();
  const reader = open("ts");
  const read = await measure(() => readSeriesPoints(reader, { experiment: "series-bench", run: "run" }));
  if (read.result.length !== points)
    throw new Error(`s3 backend kept ${read.result.length} of ${points} points`);
  rows.push({
    measure: `readSeriesPoints → ${fmt(points)} points (fresh backend)`,
    ms: fmt(read.ms, 1),
    rate: `${fmt(points / (read.ms / 1000))} points/s`,
    requests: fmt(read.requests),
  });
  await reader.close();
}

// 2. Many machines: 8 backends with their own S3 clients create runs in one experiment and log to them.
{
  const writers = Array.from({ length: 8 }, () => open("shared"));
  await writers[0].createExperiment({ name: "shared-experiment" });
  const build = await measure(async () => {
    await Promise.all(
      writers.map(async (backend, w) => {
        for (let i = w; i < SHARED_RUNS; i += writers.length) {
          const ref = { experiment: "shared-experiment", run: `run-${String(i).padStart(4, "0")}` };
          await backend.createRun("shared-experiment", { name: ref.run, state: "RUNNING" });
          await backend.updateRun(ref, { params: { index: i, lr: 0.1, opt: "adam" } });
          await backend.updateRun(ref, { metrics: { score: i / SHARED_RUNS }, state: "COMPLETE" });
        }
      }),
    );
    for (const backend of writers) await backend.close();
  });
  rows.push({
    measure: `8 clients: createRun + 2 updateRun ×${fmt(SHARED_RUNS)} (+ close)`,
    ms: fmt(build.ms, 1),
    rate: `${fmt((SHARED_RUNS * 3) / (build.ms / 1000))} calls/s`,
    requests: `${fmt(build.requests)} (${fmt(build.requests / SHARED_RUNS, 2)} per run)`,
  });
}

// 3. An experiment of 1,000 runs with params and metrics (one process, 50 calls in flight), then read.
{
  const writer = open("big");
  await writer.createExperiment({ name: "big-experiment" });
  const build = await measure(async () => {
    for (let start = 0; start < RUNS; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, RUNS - start) }, async (_, k) => {
          const i = start + k;
          const ref = { experiment: "big-experiment", run: `run-${String(i).padStart(4, "0")}` };
          await writer.createRun("big-experiment", { name: ref.run, state: "RUNNING" });
          await writer.updateRun(ref, { params: { index: i, lr: 0.1, opt: "adam" } });
          await writer.updateRun(ref, {
            metrics: { score: i / RUNS, loss: 1 - i / RUNS },
            state: "COMPLETE",
          });
        }),
      );
    }
    await writer.close();
  });
  rows.push({
    measure: `1 client, 50 in flight: createRun + 2 updateRun ×${fmt(RUNS)} (+ close)`,
    ms: fmt(build.ms, 1),
    rate: `${fmt((RUNS * 3) / (build.ms / 1000))} calls/s`,
    requests: `${fmt(build.requests)} (${fmt(build.requests / RUNS, 2)} per run)`,
  });
  const reader = open("big");
  const list = await measure(() => reader.listRuns("big-experiment"));
  if (list.result.items.length !== RUNS) throw new Error(`listed ${list.result.items.length} runs`);
  rows.push({
    measure: `listRuns → ${fmt(RUNS)} runs with params and metrics (fresh backend)`,
    ms: fmt(list.ms, 1),
    rate: `${fmt(RUNS / (list.ms / 1000))} runs/s`,
    requests: fmt(list.requests),
  });
  const frameReader = open("big");
  const frame = await measure(() =>
    Experiment.get("big-experiment", { backend: frameReader }).then((e) => e.getDataFrame()),
  );
  rows.push({
    measure: `Experiment.getDataFrame() → ${fmt(frame.result.length)} rows (fresh backend)`,
    ms: fmt(frame.ms, 1),
    rate: `${fmt(RUNS / (frame.ms / 1000))} runs/s`,
    requests: fmt(frame.requests),
  });
  await reader.close();
  await frameReader.close();
}

console.table(rows);
await server.close();
rmSync(directory, { recursive: true, force: true });
