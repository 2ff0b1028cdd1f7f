// The UI in a real Chromium: each page clicked through as a user would, with the text on screen and
// the charts' pixels checked; store values shown as text only; live updates from another process;
// a page of a foreign host name (DNS rebinding) refused.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createFileBackend } from "@exprun/backend-file";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startUiServer, type UiServer } from "../src/index.js";
import { inkedPixels, launchChromium, screenshot } from "./browser.js";
import { EXPERIMENT, seedStore, XSS_METRIC, XSS_VALUE } from "./fixtures.js";

let dir: string;
let root: string;
let server: UiServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "exprun-ui-browser-"));
  root = path.join(dir, "store");
  const writer = createFileBackend({ root, fsync: false });
  await seedStore(writer);
  await writer.close();
  server = await startUiServer({
    backend: createFileBackend({ root, fsync: false }),
    port: 0,
    pollIntervalMs: 250,
    storeLabel: "file:test-store",
    onError: () => undefined,
  });
  // rebind.test resolves to this machine, as a rebinding attacker's name would.
  browser = await launchChromium(["--host-resolver-rules=MAP rebind.test 127.0.0.1"]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await page?.close();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      pageErrors.push(message.text());
  });
  page.on("response", (response) => {
    const expected =
      response.url().includes("rebind.test") || response.url().includes("filter=metric.accuracy+%3E");
    if (response.status() >= 400 && !expected) pageErrors.push(`${response.status()} ${response.url()}`);
  });
});

const url = (p = "") => `${server.url}${p.replace(/^\//, "")}`;
const text = (selector = "main") => page.innerText(selector);

/** Waits until every chart on the page reports a draw, and returns how many there are. */
async function chartsDrawn(min: number): Promise<number> {
  await page.waitForFunction((n) => document.querySelectorAll(".chart-plot[data-drawn]").length >= n, min, {
    timeout: 30_000,
  });
  return page.locator(".chart-plot[data-drawn]").count();
}

describe("experiments page", () => {
  it("lists experiments with descriptions and run counts, filters, and opens one by its name", async () => {
    await page.goto(url("/"));
    await page.getByRole("link", { name: EXPERIMENT }).waitFor();
    const table = await text("table");
    expect(table).toContain("image classifiers, <b>not bold</b>");
    expect(table).toMatch(new RegExp(`${EXPERIMENT}\\s+image classifiers.*\\s+4\\s+`));
    expect(table).toContain("empty-exp");
    await screenshot(page, "experiments");

    await page.getByLabel("Filter experiments").fill("nothing");
    await page.waitForFunction(() => !document.body.textContent!.includes("image classifiers"));
    expect(await text("table")).toContain("empty-exp");
    expect(page.url()).toContain("q=nothing");
    await page.getByLabel("Filter experiments").fill("");
    await page.getByRole("link", { name: EXPERIMENT }).click();
    await page.waitForURL(`**/experiments/${EXPERIMENT}`);
    await page.getByRole("link", { name: "alpha" }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});

describe("runs table", () => {
  it("shows every run with state, params and metrics; sorts, filters, and survives a reload", async () => {
    const firstPages: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("withColumns=1")) firstPages.push(request.url());
    });
    await page.goto(url(`/experiments/${EXPERIMENT}`));
    await page.getByRole("link", { name: "alpha" }).waitFor();
    // The first page of rows was fetched once: the page's preload is the request the script makes.
    expect(firstPages).toHaveLength(1);
    const rows = () => page.locator(".tbody .trow .cell.name a").allInnerTexts();
    expect(await rows()).toEqual(["html-run", "gamma", "beta", "alpha"]);
    expect(await text(".counts")).toContain("4 runs");
    const headers = await text(".thead");
    for (const column of ["Run", "State", "Created", "learning_rate", "model", "accuracy"])
      expect(headers).toContain(column);
    expect(await text(".tbody")).toContain("FAILED");
    expect(await text(".tbody")).toContain("NaN");
    await screenshot(page, "runs-table-fixture");

    // Sort by the run name (click), then descending (click again).
    await page.getByRole("columnheader", { name: "Run" }).click();
    await page.waitForFunction(
      () => document.querySelector(".tbody .trow .cell.name a")?.textContent === "alpha",
    );
    expect(await rows()).toEqual(["alpha", "beta", "gamma", "html-run"]);
    await page.getByRole("columnheader", { name: /^Run/ }).click();
    await page.waitForFunction(
      () => document.querySelector(".tbody .trow .cell.name a")?.textContent === "html-run",
    );
    expect(page.url()).toContain("sort=run_name%3Adesc");

    // Filter in the CLI's language; the filter is in the URL and survives a reload.
    await page.getByLabel("Filter runs").fill("param.model = cnn and metric.accuracy > 0.88");
    await page.getByLabel("Filter runs").press("Enter");
    await page.waitForFunction(() => document.querySelectorAll(".tbody .trow").length === 1);
    expect(await rows()).toEqual(["alpha"]);
    expect(await text(".counts")).toContain("1 of 4 runs match");
    await page.reload();
    await page.getByRole("link", { name: "alpha" }).waitFor();
    expect(await rows()).toEqual(["alpha"]);
    expect(await page.getByLabel("Filter runs").inputValue()).toBe(
      "param.model = cnn and metric.accuracy > 0.88",
    );

    // A mistake is explained with the column it is at.
    await page.getByLabel("Filter runs").fill("metric.accuracy >");
    await page.getByLabel("Filter runs").press("Enter");
    await page.getByRole("alert").waitFor();
    expect(await text("[role=alert]")).toContain("Bad filter at column 18");
  });

  it("chooses columns with the picker", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}`));
    await page.getByRole("link", { name: "alpha" }).waitFor();
    await page.getByRole("button", { name: /^Columns/ }).click();
    await page.getByRole("button", { name: "Hide all" }).click();
    await page.waitForFunction(
      () => !document.querySelector(".thead")!.textContent!.includes("learning_rate"),
    );
    await page.getByLabel("Find a column").fill("learning");
    await page.getByRole("checkbox", { name: "param.learning_rate" }).check();
    await page.waitForFunction(() =>
      document.querySelector(".thead")!.textContent!.includes("learning_rate"),
    );
    expect(await page.locator(".thead .cell.value").count()).toBe(1);
    expect(page.url()).toContain("cols=param.learning_rate");
  });

  it("keeps a 10,000-row table bounded: only the rows in view exist, and scrolling loads more", {
    timeout: 180_000,
  }, async () => {
    const big = createFileBackend({ root: path.join(dir, "big"), fsync: false });
    await big.createExperiment({ name: "many-runs" });
    for (let i = 0; i < 10_000; i++) {
      const run = `run-${String(i).padStart(5, "0")}`;
      await big.createRun("many-runs", { name: run, state: "COMPLETE" });
      await big.updateRun(
        { experiment: "many-runs", run },
        { params: { index: i, parity: i % 2 ? "odd" : "even" }, metrics: { score: (i * 7919) % 10_000 } },
      );
    }
    await big.close();
    const bigServer = await startUiServer({
      backend: createFileBackend({ root: path.join(dir, "big") }),
      port: 0,
      onError: () => undefined,
    });
    try {
      await page.goto(`${bigServer.url}experiments/many-runs?sort=run_name`);
      await page.getByRole("link", { name: "run-00000" }).waitFor();
      expect(await text(".counts")).toContain("10,000 runs");
      const rendered = await page.locator(".tbody .trow").count();
      expect(rendered).toBeLessThan(100);
      // Jump to the end: the last rows are read from the end of the order, not through every page.
      await page.locator(".table-scroll").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.getByRole("link", { name: "run-09999" }).waitFor({ timeout: 60_000 });
      expect(await page.locator(".tbody .trow").count()).toBeLessThan(100);
      // And to the middle: pages from the nearer end fill the rows in view.
      await page.locator(".table-scroll").evaluate((el) => el.scrollTo({ top: el.scrollHeight * 0.4 }));
      await page.waitForFunction(
        () => {
          const names = Array.from(
            document.querySelectorAll(".tbody .trow .cell.name a"),
            (a) => a.textContent ?? "",
          );
          return (
            names.length > 10 &&
            document.querySelectorAll(".tbody .pending").length === 0 &&
            names[0]! < "run-09000"
          );
        },
        undefined,
        { timeout: 60_000 },
      );
      const middle = await page.locator(".tbody .trow .cell.name a").allInnerTexts();
      const indexes = middle.map((name) => Number(name.slice(4)));
      expect(indexes.every((n, i) => i === 0 || n === indexes[i - 1]! + 1)).toBe(true);
      expect(indexes[0]).toBeGreaterThan(3000);
      expect(indexes[0]).toBeLessThan(5000);
      await screenshot(page, "runs-table-10000");
    } finally {
      await bigServer.close();
    }
  });

  it("fills the rows in view even when a live reload overtakes the page that was loading them", {
    timeout: 120_000,
  }, async () => {
    // Regression: a page from the end dropped because a live reload started after it, when that reload
    // left every other input of the loader as it was, kept the rows in view as "…" for good.
    const root = path.join(dir, "race");
    const store = createFileBackend({ root, fsync: false });
    await store.createExperiment({ name: "race-runs" });
    for (let i = 0; i < 3000; i++)
      await store.createRun("race-runs", { name: `run-${String(i).padStart(5, "0")}`, state: "COMPLETE" });
    const raceServer = await startUiServer({
      backend: createFileBackend({ root }),
      port: 0,
      pollIntervalMs: 200,
      onError: () => undefined,
    });
    let release: () => void = () => undefined;
    let holding = false;
    await page.route(/reverse=1/, async (route) => {
      if (holding) {
        holding = false;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      await route.continue();
    });
    const reload = async (run: string) => {
      const done = page.waitForResponse((r) => r.url().includes("/runs?") && !r.url().includes("reverse=1"), {
        timeout: 30_000,
      });
      await store.updateRun({ experiment: "race-runs", run }, { state: "FAILED" });
      await done;
    };
    try {
      await page.goto(`${raceServer.url}experiments/race-runs?sort=run_name`);
      await page.getByRole("link", { name: "run-00000" }).waitFor();
      await page.locator(".table-scroll").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.getByRole("link", { name: "run-02999" }).waitFor({ timeout: 30_000 });
      // A live reload loads the top again (1,000 rows) and drops the end; the page from the end is
      // fetched again, and held here while a second reload comes and goes.
      holding = true;
      const tailAgain = page.waitForRequest(/reverse=1/, { timeout: 30_000 });
      await reload("run-00001");
      await tailAgain;
      await reload("run-00002");
      release();
      await page.getByRole("link", { name: "run-02999" }).waitFor({ timeout: 30_000 });
      expect(await page.locator(".tbody .pending").count()).toBe(0);
    } finally {
      release();
      await page.unroute(/reverse=1/);
      await raceServer.close();
      await store.close();
    }
  });
});

describe("run page", () => {
  it("shows params, metrics, a drawn chart per series, classification metrics and lineage", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}`));
    await page.getByRole("link", { name: "alpha" }).click();
    await page.waitForURL(`**/experiments/${EXPERIMENT}/runs/alpha`);
    await page.getByRole("heading", { name: /alpha/ }).waitFor();
    const main = await text();
    for (const expected of ["learning_rate", "0.1", "accuracy", "0.91", "COMPLETE", "grad_norm", "5,000"]) {
      expect(main).toContain(expected);
    }
    // Charts are drawn when scrolled into view.
    await page.locator(".chart-card[data-metric=grad_norm]").scrollIntoViewIfNeeded();
    await chartsDrawn(3);
    expect(await inkedPixels(page, ".chart-card[data-metric=grad_norm] canvas")).toBeGreaterThan(500);
    const note = await text(".chart-card[data-metric=grad_norm] .chart-note");
    expect(note).toMatch(/^5,000 → [\d,]+ points, min\/max kept/);
    expect(await text(".chart-card[data-metric=loss] .chart-note")).toContain("50 points, all drawn");

    // Classification metrics: the heatmap and the ROC curve are drawn; counts and row shares toggle.
    const classification = await text(".classification");
    expect(classification).toContain("test-set");
    expect(classification).toMatch(/AUC 0\.9\d{3}/);
    expect(await inkedPixels(page, "canvas.heatmap")).toBeGreaterThan(1000);
    expect(await inkedPixels(page, "canvas.roc")).toBeGreaterThan(300);
    const counts = await page.locator("canvas.heatmap").screenshot();
    await page.getByRole("button", { name: "Row-normalised" }).click();
    expect(Buffer.compare(counts, await page.locator("canvas.heatmap").screenshot())).not.toBe(0);

    // Executions with their input and output artifacts, artifacts, pipeline jobs.
    const lineage = await text(".lineage");
    expect(lineage).toMatch(/train-images[\s\S]*→[\s\S]*train-job[\s\S]*→[\s\S]*cnn-model/);
    expect(main).toContain("train-pipeline-1");
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "run-page-fixture");
    expect(pageErrors).toEqual([]);
  });

  it("zooms a downsampled chart to the raw points of the range and back", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}/runs/alpha`));
    const card = page.locator(".chart-card[data-metric=grad_norm]");
    await card.scrollIntoViewIfNeeded();
    await chartsDrawn(1);
    await page.waitForFunction(() =>
      document.querySelector(".chart-card[data-metric=grad_norm] .chart-plot[data-drawn]"),
    );
    const box = (await card.locator(".u-over").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.22, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() =>
      document
        .querySelector(".chart-card[data-metric=grad_norm] .chart-note")
        ?.textContent?.includes("all drawn"),
    );
    expect(await text(".chart-card[data-metric=grad_norm] .chart-note")).toContain("zoomed");
    await card.locator(".u-over").dblclick();
    await page.waitForFunction(() =>
      document
        .querySelector(".chart-card[data-metric=grad_norm] .chart-note")
        ?.textContent?.includes("min/max kept"),
    );
  });
});

describe("compare page", () => {
  it("overlays the runs' series, shows the params that differ, and draws parallel coordinates", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}`));
    await page.getByRole("link", { name: "alpha" }).waitFor();
    await page.getByLabel("select alpha").check();
    await page.getByLabel("select beta").check();
    await page.getByLabel("select gamma").check();
    await page.getByRole("button", { name: "Compare 3 runs" }).click();
    await page.waitForURL("**/compare?runs=alpha,beta,gamma");
    await page.getByRole("heading", { name: "Compare 3 runs" }).waitFor();
    const diff = await text("table.diff");
    expect(diff).toContain("learning_rate");
    expect(diff).toContain("model");
    expect(diff).not.toContain("batch_size");
    expect(await text()).toMatch(/1 param is the same in every run/);
    await chartsDrawn(2);
    const loss = page.locator(".chart-card[data-metric=loss]");
    expect(await text(".chart-card[data-metric=loss] .chart-note")).toContain("150 points, all drawn");
    expect(await loss.locator(".u-legend").innerText()).toMatch(/alpha[\s\S]*beta[\s\S]*gamma/);
    await page.locator("canvas.parallel").scrollIntoViewIfNeeded();
    await page.waitForSelector("canvas.parallel[data-drawn]");
    expect(await inkedPixels(page, "canvas.parallel")).toBeGreaterThan(1000);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "compare");

    // x axis, log scale, smoothing: every chart is drawn again; the settings are in the URL.
    for (const x of ["Wall time", "Relative time"]) {
      await page.getByLabel("X axis").selectOption({ label: x });
      await page.waitForFunction(() =>
        document.querySelector(".chart-card[data-metric=loss] .chart-plot[data-drawn]"),
      );
    }
    await page.getByLabel("Y axis").selectOption({ label: "Log" });
    await page.getByLabel("Smoothing").fill("0.6");
    await page.waitForFunction(() =>
      document.querySelector(".chart-card[data-metric=loss] .u-legend")?.textContent?.includes("(raw)"),
    );
    await chartsDrawn(2);
    expect(page.url()).toMatch(/x=relative.*y=log.*smooth=0\.6/);
    await page.reload();
    await chartsDrawn(2);
    expect(await page.getByLabel("X axis").inputValue()).toBe("relative");
    expect(pageErrors).toEqual([]);
  });
});

describe("security in the browser", () => {
  it("shows store values that look like HTML as text and runs none of them", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}`));
    await page.getByRole("link", { name: "html-run" }).waitFor();
    expect(await text(".tbody")).toContain(XSS_VALUE);
    await page.getByRole("link", { name: "html-run" }).click();
    await page.getByRole("heading", { name: /html-run/ }).waitFor();
    await chartsDrawn(1);
    const main = await text();
    expect(main).toContain(XSS_VALUE);
    expect(main).toContain(XSS_METRIC);
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.locator("main script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await screenshot(page, "xss");
  });

  it("refuses a page loaded under a foreign host name (DNS rebinding)", async () => {
    const response = await page.goto(`http://rebind.test:${server.port}/`);
    expect(response?.status()).toBe(403);
    expect(await page.innerText("body")).toContain("FORBIDDEN_HOST");
    const api = await page.goto(`http://rebind.test:${server.port}/api/experiments`);
    expect(api?.status()).toBe(403);
  });

  it("has a policy that blocks inline script", async () => {
    await page.goto(url("/"));
    await page.getByRole("link", { name: EXPERIMENT }).waitFor();
    const blocked = await page.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "window.__inline = 1";
      document.body.appendChild(s);
      return (window as unknown as { __inline?: number }).__inline;
    });
    expect(blocked).toBeUndefined();
  });
});

describe("live updates", () => {
  it("shows a run another process is logging, in the table and on its page, without a reload", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}`));
    await page.getByRole("link", { name: "alpha" }).waitFor();
    const writer = spawn(
      process.execPath,
      [fileURLToPath(new URL("./live-writer.mjs", import.meta.url)), root, EXPERIMENT, "60"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    writer.stdout.on("data", (d) => {
      output += d;
    });
    writer.stderr.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => writer.on("close", resolve));
    try {
      // The new run appears in the open table.
      await page.getByRole("link", { name: "live-run" }).waitFor({ timeout: 30_000 });
      expect(await text(".counts")).toContain("5 runs");
      await page.getByRole("link", { name: "live-run" }).click();
      await page.getByRole("heading", { name: /live-run/ }).waitFor();
      await chartsDrawn(1);
      const points = async () =>
        Number(await page.locator(".chart-card[data-metric=loss] .chart-plot").getAttribute("data-points"));
      const before = await points();
      // The chart extends while the process logs.
      await page.waitForFunction(
        (n) =>
          Number(
            document
              .querySelector(".chart-card[data-metric=loss] .chart-plot[data-drawn]")
              ?.getAttribute("data-points"),
          ) > n,
        before,
        { timeout: 30_000 },
      );
      expect(await points()).toBeGreaterThan(before);
      expect(await exited).toBe(0);
      // And the state turns COMPLETE when the process ends the run.
      await page.waitForFunction(
        () => document.querySelector("h1 .state")?.textContent === "COMPLETE",
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForFunction(
        () =>
          document
            .querySelector(".chart-card[data-metric=loss] .chart-note")
            ?.textContent?.startsWith("60 points"),
        undefined,
        { timeout: 30_000 },
      );
    } finally {
      writer.kill();
      if (writer.exitCode === null) await exited;
    }
    expect(output).toContain("done");
  });
});
