// @exprun/ui (issue 14): `exprun ui` on a file store of 10,000 runs × 20 params × 20 metrics (100 of
// them with a 10,000-point series) plus one run of 1,000,000 points, driven by Debian's Chromium.
// Numbers, not assertions: each goal is printed with met/missed, next to a baseline measured in the
// same run (a static page's paint, a raw read of the same bytes, a listing through core).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createFileBackend } from "@exprun/backend-file";
import { Experiment, ExperimentRun } from "@exprun/core";
import { chromium } from "playwright-core";

const RUNS = 10_000;
const COLUMNS = 20;
const SERIES_RUNS = 100;
const SERIES_POINTS = 10_000;
const BIG_POINTS = 1_000_000;
const REPEATS = 3;
const CHROMIUM = process.env.EXPRUN_CHROMIUM ?? "/usr/bin/chromium";
const FORMAT = 1; // bump when the generated store changes

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve("@exprun/cli/package.json")), "dist", "bin.js");
const cache = path.join(here, "..", ".bench-tmp", `ui-store-v${FORMAT}`);
const root = path.join(cache, "store");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (x) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

if (!existsSync(CHROMIUM)) {
  console.log(`skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  process.exit(0);
}

const generated = await generateStore();
const ui = await startUi();
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
const rows = [];
const row = (measure, value, target, met, baseline = "", ratio = "") =>
  rows.push({
    measure,
    value,
    target,
    result: met === undefined ? "info" : met ? "met" : "MISSED",
    baseline,
    "× baseline": ratio,
  });

try {
  await runsTable();
  await seriesResponse();
  await overlays();
} finally {
  await browser.close();
  ui.child.kill("SIGTERM");
  await ui.exit;
}
console.log(
  `store: ${RUNS.toLocaleString("en-US")} runs × ${COLUMNS} params × ${COLUMNS} metrics, ${SERIES_RUNS} with ${SERIES_POINTS.toLocaleString("en-US")} points, ` +
    `one run of ${BIG_POINTS.toLocaleString("en-US")} points (${generated}); median of ${REPEATS} where repeated; Chromium ${browser.version?.() ?? ""}`,
);
console.table(rows);
const missed = rows.filter((r) => r.result === "MISSED");
if (missed.length) {
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `targets missed: ${missed.map((r) => r.measure).join("; ")} (1-min load average ${load} on ${os.cpus().length} cores)`,
  );
}

// ── the store ────────────────────────────────────────────────────────────────────────────────────

async function generateStore() {
  const marker = path.join(cache, "complete.json");
  if (existsSync(marker)) return `cached in ${path.relative(process.cwd(), cache)}`;
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const t0 = performance.now();
  const backend = createFileBackend({ root, fsync: false });
  const experiment = await Experiment.create("bench-runs", {
    backend,
    description: "10,000 runs for the UI bench",
  });
  for (let i = 0; i < RUNS; i++) {
    const run = await ExperimentRun.create(`run-${String(i).padStart(5, "0")}`, { backend, experiment });
    const params = {};
    const metrics = {};
    for (let k = 0; k < COLUMNS; k++) {
      params[`param_${k}`] = k % 3 === 0 ? `value-${i % 7}` : i * 0.01 + k;
      metrics[`metric_${k}`] = Math.cos(i + k);
    }
    await run.logParams(params);
    await run.logMetrics(metrics);
    if (i < SERIES_RUNS) {
      for (let step = 1; step <= SERIES_POINTS; step++) {
        await run.logTimeSeriesMetrics(
          { loss: 1 / step + 0.01 * Math.sin(step / 50 + i) },
          { step, wallTime: 1_700_000_000_000 + step * 1000 },
        );
      }
    }
    await run.endRun();
  }
  const series = await Experiment.create("bench-series", {
    backend,
    description: "one run of 1,000,000 points",
  });
  const big = await ExperimentRun.create("big-run", { backend, experiment: series });
  for (let step = 1; step <= BIG_POINTS; step++) {
    const value = step === 654_321 ? 50 : Math.sin(step / 5000) + 0.001 * (step % 97);
    await big.logTimeSeriesMetrics({ loss: value }, { step, wallTime: 1_700_000_000_000 + step * 10 });
  }
  await big.endRun();
  await backend.close();
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(marker, `${JSON.stringify({ seconds })}\n`);
  return `generated through core in ${seconds.toFixed(1)} s, cached in ${path.relative(process.cwd(), cache)}`;
}

function startUi() {
  const child = spawn(
    process.execPath,
    [bin, "ui", "--port", "0", "--no-open", "--backend", `file:${root}`],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exit = new Promise((resolve) => child.on("close", resolve));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const match = /^exprun ui: (\S+)\n/.exec(out);
      if (match) resolve({ child, exit, url: match[1] });
    });
    exit.then((code) => reject(new Error(`exprun ui exited ${code}`)));
  });
}

// ── measures ─────────────────────────────────────────────────────────────────────────────────────

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const responses = [];
  page.on("requestfinished", async (request) => {
    const sizes = await request.sizes().catch(() => undefined);
    if (sizes)
      responses.push({ url: request.url(), type: request.resourceType(), bytes: sizes.responseBodySize });
  });
  return { context, page, responses };
}

async function heapMb(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  return metrics.find((m) => m.name === "JSHeapUsedSize").value / 2 ** 20;
}

/** First contentful paint of a one-paragraph page from a plain Node server: the floor of any page. */
async function staticPaint() {
  const server = http.createServer((_req, res) => res.end("<!doctype html><p>exprun</p>"));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const samples = [];
  for (let i = 0; i < REPEATS; i++) {
    const { context, page } = await newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    samples.push(await paint(page));
    await context.close();
  }
  server.close();
  return median(samples);
}

function paint(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const find = () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime;
        const found = find();
        if (found !== undefined) return resolve(found);
        new PerformanceObserver(() => {
          const t = find();
          if (t !== undefined) resolve(t);
        }).observe({ type: "paint", buffered: true });
      }),
  );
}

async function runsTable() {
  const baselinePaint = await staticPaint();
  const fcp = [];
  const visible = [];
  let initialBytes = 0;
  let firstPage = { bytes: 0, raw: 0 };
  const serverTimes = [];
  let heap = 0;
  let scrollMs = 0;
  for (let i = 0; i < REPEATS; i++) {
    const { context, page, responses } = await newPage();
    await page.goto(`${ui.url}experiments/bench-runs`);
    const shown = await page.waitForFunction(
      () => (document.querySelectorAll(".tbody .trow .cell.name a").length > 10 ? performance.now() : 0),
      undefined,
      { timeout: 60_000, polling: "raf" },
    );
    visible.push(await shown.jsonValue());
    fcp.push(await paint(page));
    await page.waitForTimeout(200);
    initialBytes = responses
      .filter((r) => ["document", "script", "stylesheet"].includes(r.type))
      .reduce((n, r) => n + r.bytes, 0);
    const rowsResponse = responses.find((r) => r.url.includes("/runs?") && r.url.includes("limit=100"));
    if (rowsResponse) {
      const again = await fetch(rowsResponse.url);
      const raw = (await again.arrayBuffer()).byteLength;
      firstPage = { bytes: rowsResponse.bytes, raw };
      serverTimes.push(
        Number(/dur=([\d.]+)/.exec(again.headers.get("server-timing") ?? "")?.[1] ?? Number.NaN),
      );
    }
    if (i === 0) {
      // Scroll to the last of the 10,000 rows: keyset pages are fetched on the way.
      const t0 = performance.now();
      await page.locator(".table-scroll").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.getByRole("link", { name: "run-00000" }).waitFor({ timeout: 120_000 });
      scrollMs = performance.now() - t0;
      heap = await heapMb(page);
    }
    await context.close();
  }
  const listBaseline = await listThroughCore();
  row(
    "runs table: first contentful paint",
    ms(median(fcp)),
    "≤ 1,000 ms",
    median(fcp) <= 1000,
    `static page ${ms(baselinePaint)}`,
    (median(fcp) / baselinePaint).toFixed(2),
  );
  row(
    "runs table: rows visible (from navigation)",
    ms(median(visible)),
    "≤ 1,500 ms",
    median(visible) <= 1500,
    `10,000 runs listed through core ${ms(listBaseline)}`,
    (median(visible) / listBaseline).toFixed(2),
  );
  row(
    "runs table: server time of the first page (10,000 runs scanned)",
    ms(median(serverTimes)),
    "",
    undefined,
  );
  row("initial HTML + JS + CSS (gzipped)", kb(initialBytes), "≤ 150 KB", initialBytes <= 150 * 1024);
  row(
    "first page of 100 rows (gzipped; raw)",
    `${kb(firstPage.bytes)}; ${kb(firstPage.raw)}`,
    "≤ 50 KB",
    firstPage.bytes > 0 && firstPage.bytes <= 50 * 1024,
  );
  row("scroll to the 10,000th row (keyset pages)", ms(scrollMs), "", undefined);
  row("JS heap after 10,000 rows were scrolled through", `${heap.toFixed(1)} MB`, "≤ 200 MB", heap <= 200);
}

async function listThroughCore() {
  const samples = [];
  for (let i = 0; i < REPEATS; i++) {
    const backend = createFileBackend({ root });
    const t0 = performance.now();
    let pageToken;
    do {
      const page = await backend.listRuns("bench-runs", { pageSize: 1000, pageToken });
      pageToken = page.nextPageToken;
    } while (pageToken);
    samples.push(performance.now() - t0);
    await backend.close();
  }
  return median(samples);
}

async function seriesResponse() {
  const url = `${ui.url}api/experiments/bench-series/series?runs=big-run&metric=loss&buckets=2000`;
  const samples = [];
  let bytes = 0;
  let gz = 0;
  let envelope = "";
  for (let i = 0; i < REPEATS; i++) {
    const response = await fetch(url, { headers: { "accept-encoding": "identity" } });
    const body = new Uint8Array(await response.arrayBuffer());
    samples.push(Number(/dur=([\d.]+)/.exec(response.headers.get("server-timing"))[1]));
    bytes = body.byteLength;
    gz = gzipSync(body).byteLength;
    const headerLength = new DataView(body.buffer).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(body.subarray(8, 8 + headerLength)));
    envelope = `${header.series[0].count.toLocaleString("en-US")} → ${header.series[0].n.toLocaleString("en-US")} buckets`;
  }
  // Baseline: read the run's series file and parse every line (what any reader of this store pays).
  const file = path.join(root, "experiments", "bench-series", "runs", "big-run", "timeseries.jsonl");
  // (The baseline assumes the file store's JSON Lines layout; another layout prints no baseline.)
  const raw = [];
  for (let i = 0; i < REPEATS && existsSync(file); i++) {
    const t0 = performance.now();
    const text = readFileSync(file, "utf8");
    let points = 0;
    try {
      for (const line of text.split("\n")) if (line) points += JSON.parse(line).step > 0 ? 1 : 0;
    } catch {
      break;
    }
    if (points !== BIG_POINTS) break;
    raw.push(performance.now() - t0);
  }
  const server = median(samples);
  row(
    `1M-point series response (${envelope})`,
    `${kb(bytes)} (gzip ${kb(gz)})`,
    "≤ 40 KB",
    bytes <= 40 * 1024,
  );
  row(
    "1M-point series: server time",
    ms(server),
    "≤ 200 ms",
    server <= 200,
    raw.length ? `raw read + JSON.parse ${ms(median(raw))}` : "",
    raw.length ? (server / median(raw)).toFixed(2) : "",
  );
}

async function overlays() {
  let heap = 0;
  for (const count of [10, 100]) {
    const names = Array.from({ length: count }, (_, i) => `run-${String(i).padStart(5, "0")}`);
    const samples = [];
    let note = "";
    for (let i = 0; i < REPEATS; i++) {
      const { context, page } = await newPage();
      await page.goto(`${ui.url}experiments/bench-runs/compare?runs=${names.join(",")}`);
      await page.waitForSelector(".chart-card[data-metric=loss] .chart-plot[data-drawn]", {
        timeout: 120_000,
      });
      samples.push(
        Number(await page.getAttribute(".chart-card[data-metric=loss] .chart-plot", "data-draw-ms")),
      );
      note = await page.innerText(".chart-card[data-metric=loss] .chart-note span");
      if (count === 100 && i === 0) heap = await heapMb(page);
      await context.close();
    }
    const target = count === 10 ? 300 : 500;
    row(
      `${count} runs overlaid: drawn after the data arrived (${note})`,
      ms(median(samples)),
      `≤ ${target} ms`,
      median(samples) <= target,
    );
  }
  row("JS heap, compare page of 100 runs", `${heap.toFixed(1)} MB`, "≤ 200 MB", heap <= 200);
}
