// Vertex AI backend: RPCs per workload against the local Vertex fake (real gRPC client, real wire
// format), next to what the Python SDK sends for the same work (VERTEX.md §4.2, §7, §10.5).
// Counts, not timings, are the result: they are what quotas (600 CRUD/min, 60k TB reads/min) bill.
import { createVertexBackend } from "@exprun/backend-vertex";
import { Experiment, ExperimentRun } from "@exprun/core";
import { startVertexFake } from "@exprun/vertex-fake";

const PROJECT = "bench-project";
const LOCATION = "us-central1";
const STEPS = 10_000;
const METRICS = 5;
const RUNS = 1_000;

const WRITE_METHODS = /^(Create|BatchCreate|Update|Write|Add|Delete|Purge)/;
const DATA_READS = /^(BatchRead|Read|Export)/;

function total(counts, test = () => true) {
  return Object.entries(counts)
    .filter(([method]) => test(method))
    .reduce((sum, [, n]) => sum + n, 0);
}

function describe(counts) {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([m, n]) => `${m}×${n}`)
    .join(", ");
}

async function pool(count, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

const rows = [];
function row(workload, exprun, python, target, detail) {
  const ok = target === undefined ? "" : exprun <= target ? "yes" : "NO";
  rows.push({ workload, exprun, python, target: target ?? "", ok, detail });
}

const fake = await startVertexFake({ port: 0 });
const backend = createVertexBackend({ project: PROJECT, location: LOCATION, ...fake.clientOptions() });
const tensorboard = fake.store.putTensorboard({
  name: `projects/${PROJECT}/locations/${LOCATION}/tensorboards/4242`,
  displayName: "bench",
}).name;

try {
  // 1. 10,000 steps × 5 metrics, one logTimeSeriesMetrics call per step (implicit steps).
  await Experiment.create("bench-log", { backend });
  const run = await ExperimentRun.create("steps", { experiment: "bench-log", backend, tensorboard });
  fake.resetRpcCounts();
  const started = performance.now();
  for (let step = 1; step <= STEPS; step++) {
    const values = {};
    for (let m = 0; m < METRICS; m++) values[`metric_${m}`] = Math.sin(step / (m + 1));
    await run.logTimeSeriesMetrics(values);
  }
  await run.endRun();
  const logMs = performance.now() - started;
  const logCounts = fake.rpcCounts();
  const points = (await run.getTimeSeriesDataFrame()).length;
  if (points !== STEPS) throw new Error(`expected ${STEPS} rows read back, got ${points}`);
  row(
    `log ${STEPS.toLocaleString("en")} steps × ${METRICS} metrics: WriteTensorboardRunData`,
    logCounts.WriteTensorboardRunData ?? 0,
    STEPS,
    10,
    "≤ 5,000 points per request; Python sends one request per logTimeSeriesMetrics call",
  );
  row(
    "  every RPC of the loop and endRun",
    total(logCounts),
    // List + one CreateTensorboardTimeSeries per metric + BatchRead (step omitted) + writes + UpdateContext.
    1 + METRICS + 1 + STEPS + 1,
    undefined,
    `${describe(logCounts)}; ${Math.round(logMs)} ms`,
  );

  // 2. The experiment DataFrame of 1,000 runs (params, metrics, state; then time-series columns).
  await Experiment.create("bench-frame", { backend });
  await pool(RUNS, 16, async (i) => {
    const r = await ExperimentRun.create(`run-${String(i).padStart(4, "0")}`, {
      experiment: "bench-frame",
      backend,
      tensorboard,
    });
    await r.logParams({ lr: 0.001 * (i + 1), batch: 32, optimizer: i % 2 ? "adam" : "sgd" });
    await r.logMetrics({ accuracy: i / RUNS, loss: 1 - i / RUNS });
    await r.logTimeSeriesMetrics({ loss: 1, acc: 0 }, { step: 1 });
    await r.logTimeSeriesMetrics({ loss: 0.5, acc: i / RUNS }, { step: 2 });
  });
  await backend.flush();
  const experiment = await Experiment.get("bench-frame", { backend });

  fake.resetRpcCounts();
  const frame = await experiment.getDataFrame({ includeTimeSeries: false });
  const frameCounts = fake.rpcCounts();
  if (frame.length !== RUNS) throw new Error(`expected ${RUNS} rows, got ${frame.length}`);
  row(
    `DataFrame of ${RUNS.toLocaleString("en")} runs: state/param/metric columns`,
    total(frameCounts),
    3 * RUNS + 2,
    15,
    describe(frameCounts),
  );

  fake.resetRpcCounts();
  const full = await experiment.getDataFrame();
  const fullCounts = fake.rpcCounts();
  if (full[RUNS - 1]["time_series_metric.acc"] === undefined) throw new Error("time-series columns missing");
  const series = 2 * RUNS;
  row(
    `  with time-series columns (${series.toLocaleString("en")} series): all RPCs`,
    total(fullCounts),
    7 * RUNS + 2,
    undefined,
    `${describe(fullCounts)}; writes: ${total(fullCounts, (m) => WRITE_METHODS.test(m))}`,
  );
  row(
    "  of which time-series data reads",
    total(fullCounts, (m) => DATA_READS.test(m)),
    RUNS,
    Math.ceil(series / 20),
    "BatchRead of ≤ 20 series per call, shared across runs; Python: ≥ 1 BatchRead per run",
  );
} finally {
  await backend.close();
  await fake.close();
}

console.log("RPCs per workload, exprun vs the Python SDK (google-cloud-aiplatform), on @exprun/vertex-fake");
console.table(
  rows.map((r) => ({
    workload: r.workload,
    exprun: r.exprun,
    "python (VERTEX.md)": r.python.toLocaleString("en"),
    "target ≤": r.target,
    ok: r.ok,
  })),
);
for (const r of rows) console.log(`- ${r.workload.trim()}: ${r.detail}`);
console.log(
  "Python: log_time_series_metrics sends one WriteTensorboardRunData per call (+1 CreateTensorboardTimeSeries per metric);\n" +
    "get_experiment_df makes ≥ 3 calls per run for state/params/metrics and 4 more per run for time series\n" +
    "(reference-artifact GET, TensorBoard run GET, series list, BatchRead), plus the two list calls.",
);
if (rows.some((r) => r.ok === "NO")) process.exitCode = 1;
