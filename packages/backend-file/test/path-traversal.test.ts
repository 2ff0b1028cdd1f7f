import { readdir } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";

const EVIL = [
  "..",
  ".",
  "../outside",
  "a/../../outside",
  "/tmp/outside",
  "a/b",
  "a\\..\\b",
  "",
  "..%2f",
  ".hidden",
];

async function rejectsValidation(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((error as { code?: string } | undefined)?.code, String(error)).toBe("VALIDATION");
}

describe("names can never leave the store", () => {
  it("rejects traversing experiment and run names in every method, called directly, writing nothing outside", async () => {
    const parent = await tempDir();
    const root = path.join(parent, "store");
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "ok" });
    await backend.createRun("ok", { name: "run", state: "RUNNING" });
    for (const name of EVIL) {
      const ref = { experiment: "ok", run: name };
      const badExp = { experiment: name, run: "run" };
      await rejectsValidation(backend.createExperiment({ name }));
      await rejectsValidation(backend.getExperiment(name));
      await rejectsValidation(backend.updateExperiment(name, { description: "x" }));
      await rejectsValidation(backend.deleteExperiment(name, { deleteBackingTensorboardRuns: false }));
      await rejectsValidation(backend.createRun("ok", { name, state: "RUNNING" }));
      await rejectsValidation(backend.createRun(name, { name: "run", state: "RUNNING" }));
      for (const r of [ref, badExp]) {
        await rejectsValidation(backend.getRun(r));
        await rejectsValidation(backend.updateRun(r, { params: { a: 1 } }));
        await rejectsValidation(backend.appendTimeSeries(r, [{ step: 1, wallTime: 1, values: { a: 1 } }]));
        await rejectsValidation(readSeriesPoints(backend, r));
        await rejectsValidation(backend.deleteRun(r, { deleteBackingTensorboardRun: false }));
      }
      await rejectsValidation(backend.listRuns(name));
    }
    await backend.close();
    expect(await readdir(parent)).toEqual(["store"]);
    expect((await readdir(root)).sort()).toEqual(["experiments", "exprun-store.json"]);
    expect(await readdir(path.join(root, "experiments"))).toEqual(["ok"]);
  });
});
