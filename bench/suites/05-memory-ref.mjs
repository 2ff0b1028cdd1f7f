// Reference numbers for issue 3's (a) and (b) on @exprun/backend-memory: the cost of core's API and
// DataFrame building with no storage at all. Compare with 10-file.mjs, measured the same way.
import { createMemoryBackend } from "@exprun/backend-memory";
import { Experiment, ExperimentRun, readSeriesPoints } from "@exprun/core";

const STEPS = 100_000;
const METRICS = 10;
const RUNS = 10_000;
const COLUMNS = 20;
const metricNames = Array.from({ length: METRICS }, (_, m) => `metric_${m}`);
const value = (i, m) => Math.sin(i * 0.001 + m) * 10;
const wallTime0 = 1_700_000_000_000;
const fmt = (n, digits = 0) => Number(n.toFixed(digits)).toLocaleString("en-US");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gc = () => globalThis.gc?.();
const rows = [];

// (d)(a): 1,000,000 points through run.logTimeSeriesMetrics, then endRun.
const tsTimes = [];
for (let k = 0; k < 3; k++) {
  const backend = createMemoryBackend();
  await Experiment.create("series", { backend });
  const run = await ExperimentRun.create("run", { experiment: "series", backend });
  gc();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) {
    const values = {};
    for (let m = 0; m < METRICS; m++) values[metricNames[m]] = value(i, m);
    await run.logTimeSeriesMetrics(values, { step: i + 1, wallTime: wallTime0 + i });
  }
  await run.endRun();
  tsTimes.push(performance.now() - t0);
  const stored = (await readSeriesPoints(backend, { experiment: "series", run: "run" })).length;
  if (stored !== STEPS * METRICS) throw new Error(`memory backend kept ${stored} points`);
}
const ts = median(tsTimes);
rows.push({
  measure: "(d) memory: run.logTimeSeriesMetrics ×100,000 (10 metrics) + endRun",
  ms: fmt(ts, 1),
  rate: `${fmt((STEPS * METRICS) / (ts / 1000))} points/s`,
});

// (d)(b): getDataFrame over 10,000 runs × 20 params × 20 metrics.
const backend = createMemoryBackend();
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
const dfTimes = [];
let frame;
for (let k = 0; k < 5; k++) {
  gc();
  const t0 = performance.now();
  frame = await Experiment.get("frame", { backend }).then((e) => e.getDataFrame());
  dfTimes.push(performance.now() - t0);
}
const df = median(dfTimes);
rows.push({
  measure: `(d) memory: Experiment.getDataFrame() → ${fmt(frame.length)} rows × ${Object.keys(frame[0]).length} columns`,
  ms: fmt(df, 1),
  rate: `${fmt(RUNS / (df / 1000))} runs/s`,
});
console.table(rows);
