// @exprun/backend-s3 against local S3 servers: s3rver (in this process; ignores conditional writes,
// so creations take the claim protocol) and moto (python3 -m moto.server, AWS-strict; honours
// If-None-Match, so creations are conditional). Each measure has a baseline from the same run and
// server (a plain PUT round trip, a raw GET of the same objects) and, where the issue sets one, a
// target marked met/missed. Requests are counted by the clients (every attempt, retries included).
// moto's rows are skipped, with the reason, where `python3 -c "import moto"` fails.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

// s3rver's paged listings need DES (OpenSSL's legacy provider); the runner starts suites without it.
if (!process.execArgv.includes("--openssl-legacy-provider")) {
  const child = spawnSync(
    process.execPath,
    ["--openssl-legacy-provider", ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } },
  );
  process.exit(child.status ?? 1);
}

const { default: S3rver } = await import("s3rver");
const { createS3Backend } = await import("@exprun/backend-s3");
const { Experiment, ExperimentRun } = await import("@exprun/core");
// the S3 client the store itself uses (a dependency of @exprun/backend-s3, not of the bench)
const { S3Client, CreateBucketCommand, PutObjectCommand, ListObjectsV2Command, GetObjectCommand } =
  createRequire(fileURLToPath(import.meta.resolve("@exprun/backend-s3")))("@aws-sdk/client-s3");

const BUCKET = "exprun-bench";
const STEPS = Number(process.env.S3_BENCH_STEPS ?? 10_000);
const METRICS = 10;
const RUNS = Number(process.env.S3_BENCH_RUNS ?? 1_000);
const SHARED_RUNS = Number(process.env.S3_BENCH_SHARED_RUNS ?? 100);
const CREATES = Number(process.env.S3_BENCH_CREATES ?? 30);
const fmt = (n, digits = 0) => Number(n.toFixed(digits)).toLocaleString("en-US");
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const p95 = (xs) => sorted(xs)[Math.max(0, Math.ceil(xs.length * 0.95) - 1)];
const target = (met, goal, why = "") => (met ? `met (${goal})` : `MISSED (${goal}${why ? `: ${why}` : ""})`);
const rows = [];
const push = (row) =>
  rows.push({ measure: "", ms: "", rate: "", requests: "", "vs baseline": "", target: "", ...row });

// ── servers ──────────────────────────────────────────────────────────────────────────────────────

async function startS3rver() {
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
        unlink(file).catch((error) => (error.code === "ENOENT" ? undefined : Promise.reject(error))),
      ),
    );
  };
  const { port } = await server.run();
  return {
    name: "s3rver",
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function startMoto() {
  const probe = spawnSync("python3", ["-c", "import moto"], { encoding: "utf8" });
  if (probe.status !== 0) {
    return {
      skipped: `python3 -c "import moto" failed: ${(probe.stderr || String(probe.error)).trim().split("\n").pop()}`,
    };
  }
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
  const child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
  });
  process.once("exit", () => child.kill("SIGKILL"));
  const endpoint = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const up = await new Promise((resolve) => {
      http
        .get(`${endpoint}/moto-api/`, (res) => resolve(res.resume() && true))
        .on("error", () => resolve(false));
    });
    if (up) break;
    if (tries > 300) return { skipped: "moto did not start within 30 s" };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const admin = client(endpoint, { total: 0 });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  admin.destroy();
  return {
    name: "moto",
    endpoint,
    async close() {
      child.kill("SIGTERM");
    },
  };
}

/** A client as a separate machine would have one; counts every request it sends. */
function client(endpoint, counter) {
  const made = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    maxAttempts: 1,
  });
  made.middlewareStack.add(
    (next) => async (args) => {
      counter.total++;
      if (String(args.request?.path ?? "").includes("/series/")) counter.chunks = (counter.chunks ?? 0) + 1;
      return next(args);
    },
    { step: "finalizeRequest", name: "benchCount" },
  );
  return made;
}

// ── measures ─────────────────────────────────────────────────────────────────────────────────────

async function measure(counter, fn) {
  const before = counter.total;
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, requests: counter.total - before, result };
}

/** Median of plain PutObject round trips: what one request costs on this server now. */
async function putBaseline(server) {
  const counter = { total: 0 };
  const c = client(server.endpoint, counter);
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: `baseline/put-${i}.json`, Body: "{}" }));
    times.push(performance.now() - t0);
  }
  c.destroy();
  return median(times);
}

async function createLatency(server, label, options, put) {
  const counter = { total: 0 };
  const prefix = `create-${label.replace(/\W+/g, "-")}`;
  const backend = createS3Backend({
    bucket: BUCKET,
    prefix,
    client: client(server.endpoint, counter),
    flushIntervalMs: 0,
    ...options,
  });
  await backend.createExperiment({ name: "creates" });
  if (backend.conditionalWrites) await backend.conditionalWrites();
  const times = [];
  const before = counter.total;
  for (let i = 0; i < CREATES; i++) {
    const t0 = performance.now();
    await backend.createRun("creates", { name: `run-${i}`, state: "RUNNING" });
    times.push(performance.now() - t0);
  }
  const requests = (counter.total - before) / CREATES;
  await backend.close();
  return { median: median(times), p95: p95(times), requests, put, label };
}

async function manyClients(server, options) {
  const counter = { total: 0 };
  const open = () =>
    createS3Backend({
      bucket: BUCKET,
      prefix: `shared-${server.name}-${options.claimSettleMs ?? "c"}`,
      client: client(server.endpoint, counter),
      flushIntervalMs: 0,
      ...options,
    });
  const writers = Array.from({ length: 8 }, open);
  await writers[0].createExperiment({ name: "shared-experiment" });
  return measure(counter, async () => {
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
}

/** Points of one run as the store streams them (or, on a store without readSeries, as one array). */
async function readAll(backend, ref) {
  let points = 0;
  if (typeof backend.readSeries === "function") {
    for await (const chunk of backend.readSeries(ref)) points += chunk.steps.length;
  } else points = (await backend.readTimeSeries(ref)).length;
  return points;
}

async function series(server) {
  const counter = { total: 0 };
  const prefix = `ts-${server.name}`;
  const open = () =>
    createS3Backend({
      bucket: BUCKET,
      prefix,
      client: client(server.endpoint, counter),
      flushIntervalMs: 0,
      claimSettleMs: 20,
    });
  const backend = open();
  await Experiment.create("series-bench", { backend });
  const run = await ExperimentRun.create("run", { experiment: "series-bench", backend });
  const metricNames = Array.from({ length: METRICS }, (_, m) => `metric_${m}`);
  const write = await measure(counter, async () => {
    for (let i = 0; i < STEPS; i++) {
      const values = {};
      for (let m = 0; m < METRICS; m++) values[metricNames[m]] = Math.sin(i * 0.001 + m);
      await run.logTimeSeriesMetrics(values, { step: i + 1, wallTime: 1_700_000_000_000 + i });
    }
    await run.endRun();
  });
  await backend.close();
  const points = STEPS * METRICS;
  const perTenK = (write.requests * 10_000) / points;
  push({
    measure: `${server.name}: logTimeSeriesMetrics ×${fmt(STEPS)} (${METRICS} metrics) + endRun`,
    ms: fmt(write.ms, 1),
    rate: `${fmt(points / (write.ms / 1000))} points/s`,
    requests: `${fmt(write.requests)} (${fmt(perTenK, 2)} per 10,000 points)`,
    target: target(perTenK <= 10, "≤ 10 requests per 10,000 points"),
  });

  // Baseline: LIST the run's chunk objects and GET each, 16 in flight, bodies read but not decoded.
  const raw = client(server.endpoint, counter);
  const rawRead = await measure(counter, async () => {
    const keys = [];
    let token;
    do {
      const page = await raw.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: `${prefix}/experiments/series-bench/series/`,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < keys.length) {
          const key = keys[next++];
          await (
            await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
          ).Body.transformToByteArray();
        }
      }),
    );
    return keys.length;
  });
  raw.destroy();
  push({
    measure: `${server.name}: raw baseline: LIST + GET of the run's ${fmt(rawRead.result)} series objects (no decoding)`,
    ms: fmt(rawRead.ms, 1),
    rate: `${fmt(points / (rawRead.ms / 1000))} points/s`,
    requests: fmt(rawRead.requests),
    target: "baseline",
  });
  const reader = open();
  const chunkGets = counter.chunks ?? 0;
  const read = await measure(counter, () => readAll(reader, { experiment: "series-bench", run: "run" }));
  await reader.close();
  if (read.result !== points) throw new Error(`the s3 backend kept ${read.result} of ${points} points`);
  const rate = points / (read.ms / 1000);
  // GETs of chunk objects per stored chunk (the rest: the run's log and the chunk listing)
  const perChunk = ((counter.chunks ?? 0) - chunkGets) / rawRead.result;
  push({
    measure: `${server.name}: read ${fmt(points)} points, fresh backend (${fmt(rawRead.result)} chunks)`,
    ms: fmt(read.ms, 1),
    rate: `${fmt(rate)} points/s`,
    requests: `${fmt(read.requests)} (${fmt((counter.chunks ?? 0) - chunkGets)} chunk GETs)`,
    "vs baseline": `${(read.ms / rawRead.ms).toFixed(2)}× raw`,
    target: target(
      rate >= 1e6 && perChunk <= 1,
      "≥ 1 M points/s, ≤ 1 request per chunk",
      `${fmt(rate)} points/s, ${perChunk.toFixed(2)} per chunk`,
    ),
  });
}

async function bigExperiment(server) {
  const counter = { total: 0 };
  const prefix = `big-${server.name}`;
  const open = () =>
    createS3Backend({
      bucket: BUCKET,
      prefix,
      client: client(server.endpoint, counter),
      flushIntervalMs: 0,
      claimSettleMs: 20,
    });
  const writer = open();
  await writer.createExperiment({ name: "big-experiment" });
  const build = await measure(counter, async () => {
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
  push({
    measure: `${server.name}: 1 client, 50 in flight: createRun + 2 updateRun ×${fmt(RUNS)} (+ close)`,
    ms: fmt(build.ms, 1),
    rate: `${fmt((RUNS * 3) / (build.ms / 1000))} calls/s`,
    requests: `${fmt(build.requests)} (${fmt(build.requests / RUNS, 2)} per run)`,
    target: "info",
  });
  const frameReader = open();
  const frame = await measure(counter, () =>
    Experiment.get("big-experiment", { backend: frameReader }).then((e) => e.getDataFrame()),
  );
  await frameReader.close();
  push({
    measure: `${server.name}: Experiment.getDataFrame() → ${fmt(frame.result.length)} rows (fresh backend)`,
    ms: fmt(frame.ms, 1),
    rate: `${fmt(RUNS / (frame.ms / 1000))} runs/s`,
    requests: fmt(frame.requests),
    target: target(frame.requests <= 50 && frame.result.length === RUNS, "≤ 50 requests"),
  });
}

// ── run ──────────────────────────────────────────────────────────────────────────────────────────

const s3rver = await startS3rver();
const moto = await startMoto();
const servers = [s3rver, ...(moto.skipped ? [] : [moto])];
try {
  const puts = {};
  for (const server of servers) puts[server.name] = await putBaseline(server);
  const creates = [];
  if (!moto.skipped) {
    creates.push(
      await createLatency(moto, "moto, conditional writes", { conditionalWrites: "auto" }, puts.moto),
    );
    creates.push(
      await createLatency(
        moto,
        "moto, claim fallback (claimSettleMs 500, the default)",
        { conditionalWrites: false },
        puts.moto,
      ),
    );
  }
  creates.push(
    await createLatency(s3rver, "s3rver, claim fallback (claimSettleMs 500, the default)", {}, puts.s3rver),
  );
  creates.push(
    await createLatency(
      s3rver,
      "s3rver, claim fallback (claimSettleMs 20)",
      { claimSettleMs: 20 },
      puts.s3rver,
    ),
  );
  const claim = creates.find((c) => c.label.startsWith("moto, claim")) ?? creates[0];
  for (const c of creates) {
    const conditional = c.label.includes("conditional");
    push({
      measure: `createRun latency ×${CREATES}, ${c.label}: median / p95`,
      ms: `${fmt(c.median, 1)} / ${fmt(c.p95, 1)}`,
      requests: `${fmt(c.requests, 1)} per create`,
      "vs baseline": `${(c.median / c.put).toFixed(1)}× a PUT (${fmt(c.put, 1)} ms)`,
      target: conditional
        ? target(
            c.median * 5 <= claim.median,
            "conditional median ≤ 1/5 of the claim fallback's",
            `${fmt(claim.median, 1)} ms`,
          )
        : "info",
    });
  }
  if (moto.skipped) push({ measure: "moto rows", target: `skipped: ${moto.skipped}` });

  for (const [server, options, label] of [
    ...(moto.skipped ? [] : [[moto, { conditionalWrites: "auto" }, "conditional writes"]]),
    [s3rver, { claimSettleMs: 20 }, "claim fallback, claimSettleMs 20"],
  ]) {
    const many = await manyClients(server, options);
    push({
      measure: `${server.name}, ${label}: 8 clients × createRun + 2 updateRun, ${fmt(SHARED_RUNS)} runs (+ close)`,
      ms: fmt(many.ms, 1),
      rate: `${fmt((SHARED_RUNS * 3) / (many.ms / 1000))} calls/s`,
      requests: `${fmt(many.requests)} (${fmt(many.requests / SHARED_RUNS, 2)} per run)`,
      target: "info",
    });
  }
  for (const server of servers) await series(server);
  await bigExperiment(s3rver);
} finally {
  for (const server of servers) await server.close();
}
console.table(rows);
const missed = rows.filter((r) => String(r.target).startsWith("MISSED"));
if (missed.length) console.log(`targets missed: ${missed.map((r) => r.measure).join("; ")}`);
