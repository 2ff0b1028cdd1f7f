import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ExperimentRun } from "@exprun/core";
import { expect, it } from "vitest";
import { createJsonDocumentBackend } from "../src/json-document-backend.js";

const newDocument = async () => path.join(await mkdtemp(path.join(tmpdir(), "exprun-doc-")), "store.json");

it("a document opened again after close() holds what was written, time series included", async () => {
  const file = await newDocument();
  const first = await createJsonDocumentBackend({ path: file });
  const run = await ExperimentRun.create("r", { experiment: "exp1", backend: first });
  await run.logParams({ lr: 0.1 });
  await run.logTimeSeriesMetrics({ loss: Number.NaN }, { step: 0 });
  await run.endRun();
  await first.close(); // the last object on the document: the next one reads it from disk
  const second = await createJsonDocumentBackend({ path: file });
  const again = await ExperimentRun.get("r", { experiment: "exp1", backend: second });
  expect(again.state).toBe("COMPLETE");
  expect(await again.getParams()).toEqual({ lr: 0.1 });
  expect((await again.getTimeSeriesDataFrame())[0]!.loss).toBeNaN();
  await second.close();
});

// Guards against silently overwriting another process's writes (the store declares multiProcess: false).
it("a document rewritten by another process is refused naming the file, never written over", async () => {
  const file = await newDocument();
  const backend = await createJsonDocumentBackend({ path: file });
  await backend.createExperiment({ name: "mine" });
  const theirs = (await readFile(file, "utf8")).replace('"mine"', '"theirs"');
  await writeFile(file, theirs);

  const refused = backend.createExperiment({ name: "later" });
  await expect(refused).rejects.toMatchObject({ code: "BACKEND" });
  await expect(refused).rejects.toThrow(`[exprun] [json-document] ${file} was changed by another process`);
  await expect(backend.flush()).rejects.toMatchObject({ code: "BACKEND" });
  expect(await readFile(file, "utf8")).toBe(theirs);
});

// Guards against reading a damaged document as an empty store (and then saving that over it).
it("a document that is not JSON is refused naming the file, and left as it is", async () => {
  const file = await newDocument();
  await writeFile(file, '{"experiments": {"a"');
  await expect(createJsonDocumentBackend({ path: file })).rejects.toThrow(
    `[exprun] [json-document] ${file} is not a readable store document`,
  );
  expect(await readFile(file, "utf8")).toBe('{"experiments": {"a"');
  // Nothing stays open: once the file is repaired, the same path opens.
  await writeFile(
    file,
    JSON.stringify({ experiments: {}, runs: {}, points: {}, artifacts: {}, executions: {} }),
  );
  const repaired = await createJsonDocumentBackend({ path: file });
  expect((await repaired.listExperiments()).items).toEqual([]);
  await repaired.close();
});
