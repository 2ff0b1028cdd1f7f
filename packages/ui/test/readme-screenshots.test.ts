// The README's pictures, made by the test run from a realistic sweep: the runs table sorted by
// validation accuracy and the best run's page with its charts drawn. EXPRUN_UI_DOCS_SCREENSHOTS=1
// also writes them to docs/ (committed); otherwise they go to test/screenshots/ like the others.
import { createMemoryBackend } from "@exprun/backend-memory";
import { Experiment, ExperimentRun } from "@exprun/core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startUiServer, type UiServer } from "../src/index.js";
import { launchChromium, screenshot } from "./browser.js";

let server: UiServer;
let browser: Browser;

/** A seeded generator, so the pictures repeat. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

beforeAll(async () => {
  const backend = createMemoryBackend();
  const experiment = await Experiment.create("resnet-sweep", {
    backend,
    description: "ResNet-18 on CIFAR-10: learning rate × batch size × optimizer",
  });
  const next = random(42);
  let index = 0;
  for (const optimizer of ["sgd", "adam"]) {
    for (const lr of [0.3, 0.1, 0.03, 0.01, 0.003]) {
      for (const batch of [64, 128, 256]) {
        index++;
        const name = `${optimizer}-lr${String(lr).replace(".", "-")}-b${batch}`;
        const run = await ExperimentRun.create(name, { backend, experiment });
        const quality =
          1 - Math.abs(Math.log10(lr) + (optimizer === "adam" ? 2.2 : 1.2)) / 2.5 - (batch - 64) / 2000;
        await run.logParams({
          optimizer,
          learning_rate: lr,
          batch_size: batch,
          epochs: 30,
          weight_decay: 5e-4,
          augment: true,
        });
        let loss = 2.3;
        for (let step = 1; step <= 300; step++) {
          loss = loss * (0.985 - 0.01 * quality) + 0.02 * (next() - 0.5) + 0.002;
          const spike = optimizer === "sgd" && lr === 0.3 && step === 120 ? 3 : 0;
          await run.logTimeSeriesMetrics(
            {
              loss: Math.max(0.05, loss) + spike,
              val_accuracy: Math.min(
                0.97,
                0.1 + (0.85 * quality + 0.05) * (1 - Math.exp(-step / 60)) + 0.01 * (next() - 0.5),
              ),
              learning_rate: lr * 0.5 * (1 + Math.cos((Math.PI * step) / 300)),
            },
            { step, wallTime: 1_735_000_000_000 + index * 3_600_000 + step * 9_000 },
          );
        }
        const accuracy = Math.min(0.97, 0.1 + 0.85 * quality + 0.05);
        await run.logMetrics({
          val_accuracy: Number(accuracy.toFixed(4)),
          val_loss: Number((1.1 - accuracy).toFixed(4)),
          f1: Number((accuracy - 0.01).toFixed(4)),
        });
        if (index % 9 === 0) await run.updateState("RUNNING");
        else if (lr === 0.3 && optimizer === "adam") await run.updateState("FAILED");
        else await run.endRun();
      }
    }
  }
  const best = await ExperimentRun.get("adam-lr0-01-b64", { backend, experiment });
  const labels = ["airplane", "automobile", "bird", "cat", "deer"];
  await best.logClassificationMetrics({
    displayName: "validation",
    labels,
    matrix: labels.map((_, i) => labels.map((__, j) => (i === j ? 180 + i * 7 : Math.round(next() * 12)))),
    fpr: [0, 0.02, 0.05, 0.1, 0.2, 0.4, 1],
    tpr: [0, 0.55, 0.75, 0.87, 0.94, 0.98, 1],
    threshold: [1, 0.9, 0.75, 0.6, 0.4, 0.2, 0],
  });
  server = await startUiServer({ backend, port: 0, storeLabel: "file:./.exprun" });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it("pictures the runs table and a run page for the README", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 760 } });
  const columns =
    "param.optimizer,param.learning_rate,param.batch_size,metric.val_accuracy,metric.val_loss,metric.f1";
  await page.goto(`${server.url}experiments/resnet-sweep?sort=metric.val_accuracy%3Adesc&cols=${columns}`);
  await page.getByRole("link", { name: "adam-lr0-01-b64" }).waitFor();
  expect(await page.innerText(".counts")).toContain("30 runs");
  expect(await page.locator(".tbody .trow .cell.name a").first().innerText()).toBe("adam-lr0-01-b64");
  await page.getByLabel("select adam-lr0-01-b64").check();
  await page.getByLabel("select adam-lr0-003-b64").check();
  await screenshot(page, "runs-table", { docs: true, fullPage: false });

  await page.getByRole("link", { name: "adam-lr0-01-b64" }).click();
  await page.getByRole("heading", { name: /adam-lr0-01-b64/ }).waitFor();
  await page.locator(".chart-card[data-metric=loss]").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelectorAll(".chart-plot[data-drawn]").length >= 2);
  await page.setViewportSize({ width: 1400, height: 1150 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForFunction(() => document.querySelectorAll(".chart-plot[data-drawn]").length >= 2);
  expect(await page.innerText("main")).toContain("val_accuracy");
  await screenshot(page, "run-page", { docs: true, fullPage: false });
  await page.close();
});
