import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ExperimentRun } from "@exprun/core";
import { expect, it } from "vitest";
import { createJsonDocumentBackend } from "../src/json-document-backend.js";

it("a reopened document holds what the previous backend wrote, time series after flush", async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), "exprun-doc-")), "store.json");
  const first = await createJsonDocumentBackend({ path: file });
  const run = await ExperimentRun.create("r", { experiment: "exp1", backend: first });
  await run.logParams({ lr: 0.1 });
  await run.logTimeSeriesMetrics({ loss: Number.NaN }, { step: 0 });
  await run.endRun();
  const second = await createJsonDocumentBackend({ path: file });
  const again = await ExperimentRun.get("r", { experiment: "exp1", backend: second });
  expect(again.state).toBe("COMPLETE");
  expect(await again.getParams()).toEqual({ lr: 0.1 });
  expect((await again.getTimeSeriesDataFrame())[0]!.loss).toBeNaN();
});
