// Store strings an attacker or an accident can write, in a real Chromium: a 100 KB param value and
// terminal escapes. The pages stay usable (the charts are reachable and drawn) and show the text.
import { createMemoryBackend } from "@exprun/backend-memory";
import { ExperimentRun } from "@exprun/core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUiServer, type UiServer } from "../src/index.js";
import { launchChromium, screenshot } from "./browser.js";

const EXPERIMENT = "hostile-values";
const HUGE = "A".repeat(100_000);
const ESCAPES = "\u001b[31mred\u001b[0m\u001b]0;title\u0007\u202eevil";

let server: UiServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const backend = createMemoryBackend();
  for (const [name, blob, lr] of [
    ["huge", HUGE, 0.1],
    ["small", ESCAPES, 0.2],
  ] as const) {
    const run = await ExperimentRun.create(name, { backend, experiment: EXPERIMENT });
    await run.logParams({ blob, lr });
    await run.logMetrics({ accuracy: lr * 2 });
    // Tags and notes are bounded at 64 K characters by core.
    await run.setTags({ blob: blob.slice(0, 60_000) });
    await run.setDescription(blob.slice(0, 60_000));
    for (let step = 0; step < 3; step++)
      await run.logTimeSeriesMetrics({ loss: 1 / (step + 1 + lr) }, { step });
    await run.endRun();
  }
  server = await startUiServer({ backend, port: 0, onError: () => undefined });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const url = (p: string) => `${server.url}${p.replace(/^\//, "")}`;

describe("hostile store values", () => {
  it("draw the compare page's parallel coordinates with a 100,000-character category", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}/compare?runs=huge,small`));
    await page.getByRole("heading", { name: "Compare 2 runs" }).waitFor();
    await page.locator("canvas.parallel").scrollIntoViewIfNeeded();
    // Cutting the label one character at a time measured it 100,000 times: the page froze.
    await page.waitForSelector("canvas.parallel[data-drawn]", { timeout: 20_000 });
    expect(await page.innerText("table.diff")).toContain(ESCAPES);
    expect(pageErrors).toEqual([]);
  });

  it("keep the run page's charts near the top when a value is 100 KB, and show the value whole", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}/runs/huge`));
    await page.getByRole("heading", { name: /huge/ }).waitFor();
    await page.waitForSelector(".chart-plot[data-drawn]", { timeout: 20_000 });
    const top = await page.$eval(".chart-card", (e) => e.getBoundingClientRect().top + window.scrollY);
    expect(top).toBeLessThan(3000);
    const shown = await page.$$eval(".kv-value", (cells) => cells.map((c) => c.textContent ?? ""));
    expect(shown).toContain(HUGE);
    await screenshot(page, "hostile-run", { fullPage: false });
    expect(pageErrors).toEqual([]);
  });

  it("show terminal escapes and bidi overrides as the characters they are", async () => {
    await page.goto(url(`/experiments/${EXPERIMENT}/runs/small`));
    await page.getByRole("heading", { name: /small/ }).waitFor();
    const shown = await page.$$eval(".kv-value", (cells) => cells.map((c) => c.textContent ?? ""));
    expect(shown).toContain(ESCAPES);
    expect(await page.locator(".note").textContent()).toBe(ESCAPES);
    expect(pageErrors).toEqual([]);
  });
});
