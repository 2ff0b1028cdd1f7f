// Vertex AI backend: RPCs per workload against the local Vertex fake (real gRPC client, real wire
// format), next to what the Python SDK sends for the same work (VERTEX.md §4.2, §7, §10.5).
// Counts, not timings, are the result: they are what quotas (600 CRUD/min, 60k TB reads/min) bill.
import { createVertexBackend } from "@exprun/backend-vertex";
import { Experiment, ExperimentRun, endRun, init, startRun } from "@exprun/core";
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

/**
 * RPCs this suite counted for the issue-13.6 workloads at commit b40ad10, before the change (the
 * same workloads on the same fake; rerun the suite there to reproduce them).
 */
const BEFORE = { list: 4, startRun: 10, startRunAgain: 10, firstStepLookups: 1, firstStep: 3, frame: 2_103 };
const changes = [];
function before(workload, after, was, python, target, detail) {
  const ok = target === undefined ? "" : after <= target ? "yes" : "NO";
  changes.push({ workload, was, after, python, target: target ?? "", ok, detail });
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
  // 3. Issue 13.6: the RPCs that need not happen, next to what this suite measured before them
  //    (commit b40ad10, the same workloads) and what Python sends.
  await Experiment.create("bench-list", { backend });
  for (let i = 0; i < 10; i++) await ExperimentRun.create(`r-${i}`, { experiment: "bench-list", backend });
  fake.resetRpcCounts();
  await ExperimentRun.list({ experiment: "bench-list", backend });
  const listCounts = fake.rpcCounts();
  before(
    "ExperimentRun.list (10 runs)",
    total(listCounts),
    BEFORE.list,
    // GetContext (experiment) + ListContexts + ListExecutions + per run: artifact GET, TB run GET, series list.
    3 + 3 * 10,
    2,
    describe(listCounts),
  );

  // startRun into an existing experiment with a backing TensorBoard whose TensorBoard experiment
  // another process made already, from a fresh process (backend).
  await Experiment.create("bench-start", { backend, backingTensorboard: tensorboard });
  await ExperimentRun.create("started-0", { experiment: "bench-start", backend });
  const fresh = createVertexBackend({ project: PROJECT, location: LOCATION, ...fake.clientOptions() });
  init({ experiment: "bench-start", backend: fresh, experimentTensorboard: tensorboard });
  fake.resetRpcCounts();
  await startRun("started-1");
  const startCounts = fake.rpcCounts();
  before(
    "startRun with init({ experimentTensorboard }), existing experiment",
    total(startCounts),
    BEFORE.startRun,
    // VERTEX.md §10.5: GetContext ×2, CreateContext, GetTensorboard, GetArtifact, GetTensorboardExperiment,
    // GetTensorboardRun + CreateTensorboardRun, ListTensorboardTimeSeries, CreateArtifact, 2 Add… calls.
    12,
    7,
    describe(startCounts),
  );
  await endRun();
  fake.resetRpcCounts();
  await startRun("started-2");
  const againCounts = fake.rpcCounts();
  await endRun();
  before(
    "  the next startRun in the same process",
    total(againCounts),
    BEFORE.startRunAgain,
    12,
    6,
    describe(againCounts),
  );

  const stepRun = await ExperimentRun.create("implicit-step", { experiment: "bench-start", backend: fresh });
  fake.resetRpcCounts();
  await stepRun.logTimeSeriesMetrics({ loss: 1, acc: 0 });
  await stepRun.flush();
  const stepCounts = fake.rpcCounts();
  before(
    "first logTimeSeriesMetrics without a step on a new run: latest-step lookups",
    total(stepCounts, (m) => /^(ListTensorboardTimeSeries|BatchRead)/.test(m)),
    BEFORE.firstStepLookups,
    // Python: ListTensorboardTimeSeries (soft create) and a BatchRead for the latest step.
    2,
    0,
    "a run create() just made starts at step 0; its new TensorBoard run has no series to list",
  );
  before(
    "  every RPC of it, flushed",
    total(stepCounts),
    BEFORE.firstStep,
    // ListTensorboardTimeSeries, CreateTensorboardTimeSeries ×2, BatchRead, WriteTensorboardRunData.
    5,
    undefined,
    `${describe(stepCounts)} (GetContext: the run is checked to be this creation before its first write)`,
  );
  init({ experiment: undefined, backend: undefined, experimentTensorboard: undefined });
  await fresh.close();

  before(
    `DataFrame of ${RUNS.toLocaleString("en")} runs with time series, documented API only`,
    total(fullCounts),
    BEFORE.frame,
    7 * RUNS + 2,
    undefined,
    `${describe(fullCounts)} (one series listing per run: Vertex documents no cross-run listing)`,
  );

  // The same experiment where the service takes the AIP-159 runs/- wildcard (an opt-in of the fake).
  const wild = await startVertexFake({ port: 0, wildcardParents: true });
  const wildBackend = createVertexBackend({ project: PROJECT, location: LOCATION, ...wild.clientOptions() });
  try {
    const wildTb = wild.store.putTensorboard({
      name: `projects/${PROJECT}/locations/${LOCATION}/tensorboards/4242`,
      displayName: "bench",
    }).name;
    await Experiment.create("bench-frame", { backend: wildBackend, backingTensorboard: wildTb });
    await pool(RUNS, 16, async (i) => {
      const r = await ExperimentRun.create(`run-${String(i).padStart(4, "0")}`, {
        experiment: "bench-frame",
        backend: wildBackend,
      });
      await r.logTimeSeriesMetrics({ loss: 1, acc: 0 }, { step: 1 });
      await r.logTimeSeriesMetrics({ loss: 0.5, acc: i / RUNS }, { step: 2 });
    });
    await wildBackend.flush();
    const wildExperiment = await Experiment.get("bench-frame", { backend: wildBackend });
    wild.resetRpcCounts();
    const wildFrame = await wildExperiment.getDataFrame();
    if (wildFrame[RUNS - 1]["time_series_metric.acc"] !== (RUNS - 1) / RUNS) throw new Error("wrong column");
    const wildCounts = wild.rpcCounts();
    before(
      "  where the service takes the runs/- wildcard",
      total(wildCounts),
      BEFORE.frame,
      7 * RUNS + 2,
      Math.ceil(series / 20) + 10,
      describe(wildCounts),
    );
  } finally {
    await wildBackend.close();
    await wild.close();
  }
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
console.log("\nRPCs that need not happen (issue 13.6): before (b40ad10) and now");
console.table(
  changes.map((r) => ({
    workload: r.workload,
    before: r.was.toLocaleString("en"),
    now: r.after.toLocaleString("en"),
    "python (VERTEX.md)": r.python.toLocaleString("en"),
    "target ≤": r.target,
    ok: r.ok,
  })),
);
for (const r of changes) console.log(`- ${r.workload.trim()}: ${r.detail}`);
console.log(
  "Python: log_time_series_metrics sends one WriteTensorboardRunData per call (+1 CreateTensorboardTimeSeries per metric);\n" +
    "get_experiment_df makes ≥ 3 calls per run for state/params/metrics and 4 more per run for time series\n" +
    "(reference-artifact GET, TensorBoard run GET, series list, BatchRead), plus the two list calls.",
);
if ([...rows, ...changes].some((r) => r.ok === "NO")) process.exitCode = 1;
