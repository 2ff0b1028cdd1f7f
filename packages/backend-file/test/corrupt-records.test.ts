import { appendFile, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { tempDir } from "./helpers.js";

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  return promise.then(
    () => ({ code: "RESOLVED", message: "resolved" }),
    (e: unknown) => e as { code?: string; message: string },
  );
}

function expectNamed(error: { code?: string; message: string }, file: string, ...parts: (string | RegExp)[]) {
  expect(error.code, error.message).toBe("BACKEND");
  expect(error.message).toContain(file);
  expect(error.message).toMatch(/^\[exprun\] \[file\] /);
  for (const part of parts) {
    if (typeof part === "string") expect(error.message).toContain(part);
    else expect(error.message).toMatch(part);
  }
}

/** Appends `line` to `file`; resolves the byte offset it starts at. */
async function appendLine(file: string, line: string): Promise<number> {
  const offset = (await stat(file)).size;
  await appendFile(file, `${line}\n`);
  return offset;
}

describe("a bad record already in artifacts.jsonl or executions.jsonl", () => {
  async function resources() {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "e" });
    await backend.createRun("e", { name: "r", state: "RUNNING" });
    await backend.createArtifact({ id: "good", schemaTitle: "system.Model" });
    await backend.createExecution({ id: "exec-x", schemaTitle: "system.ContainerExecution" });
    await backend.createExecution({ id: "exec-y", schemaTitle: "system.ContainerExecution" });
    await backend.attributeToRun(
      { experiment: "e", run: "r" },
      { artifacts: ["good"], executions: ["exec-y"] },
    );
    await backend.close();
    return {
      root,
      artifacts: path.join(root, "resources", "artifacts.jsonl"),
      executions: path.join(root, "resources", "executions.jsonl"),
    };
  }

  it("an update with wrong-typed metadata: that execution reports path and byte offset, every other one reads and writes", async () => {
    const { root, executions } = await resources();
    const offset = await appendLine(executions, '{"op":"update","id":"exec-x","t":5,"metadata":"zzz"}');
    const backend = createFileBackend({ root });
    expect((await backend.getExecution("exec-y"))?.id).toBe("exec-y");
    expect((await backend.updateExecution("exec-y", { state: "COMPLETE" })).state).toBe("COMPLETE");
    expect((await backend.createExecution({ id: "exec-z", schemaTitle: "system.Run" })).id).toBe("exec-z");
    expect((await backend.getExecution("exec-z"))?.id).toBe("exec-z");
    const run = { experiment: "e", run: "r" };
    expect((await backend.listExecutions({ run })).items.map((e) => e.id)).toEqual(["exec-y"]);
    expectNamed(await rejection(backend.getExecution("exec-x")), executions, `byte ${offset}`);
    expectNamed(await rejection(backend.listExecutions()), executions, `byte ${offset}`);
    // and in another process, from the snapshot-less log
    expect((await createFileBackend({ root }).getExecution("exec-y"))?.state).toBe("COMPLETE");
    await backend.close();
  });

  it("a create with a wrong-typed id: listing names path and offset, every other artifact reads and writes", async () => {
    const { root, artifacts } = await resources();
    const offset = await appendLine(
      artifacts,
      '{"op":"create","uid":"u1","t":1,"artifact":{"id":12345,"schemaTitle":"system.Model"}}',
    );
    const backend = createFileBackend({ root });
    expect((await backend.getArtifact("good"))?.id).toBe("good");
    expect((await backend.createArtifact({ id: "art-new", schemaTitle: "system.Dataset" })).id).toBe(
      "art-new",
    );
    expect((await backend.getArtifact("art-new"))?.schemaTitle).toBe("system.Dataset");
    expect(
      (await backend.listArtifacts({ run: { experiment: "e", run: "r" } })).items.map((a) => a.id),
    ).toEqual(["good"]);
    expectNamed(await rejection(backend.listArtifacts()), artifacts, `byte ${offset}`);
    await backend.close();
  });

  it("a line that is not JSON at all: named with its offset, the records after it still apply", async () => {
    const { root, executions } = await resources();
    const offset = await appendLine(executions, "this is not json");
    const writer = createFileBackend({ root });
    await writer.updateExecution("exec-y", { metadata: { after: 1 } });
    const reader = createFileBackend({ root });
    expect((await reader.getExecution("exec-y"))?.metadata).toEqual({ after: 1 });
    expectNamed(await rejection(reader.listExecutions()), executions, `byte ${offset}`);
    await writer.close();
    await reader.close();
  });
});

describe("truncated store files", () => {
  async function twoExperiments(root: string) {
    const backend = createFileBackend({ root });
    for (const name of ["cut", "fine"]) {
      await backend.createExperiment({ name, description: `${name} experiment` });
      await backend.createRun(name, { name: "r", state: "RUNNING" });
      await backend.updateRun({ experiment: name, run: "r" }, { params: { a: 1 } });
    }
    await backend.close();
  }

  for (const [what, cut] of [
    ["emptied (: > experiment.jsonl)", async (file: string) => writeFile(file, "")],
    ["cut inside its create record", async (file: string) => truncate(file, 20)],
    ["removed while its runs.jsonl is still there", async (file: string) => rm(file)],
  ] as const) {
    it(`an experiment.jsonl ${what} is an error naming it for get and create; the rest of the store reads`, async () => {
      const root = await tempDir();
      await twoExperiments(root);
      const file = path.join(root, "experiments", "cut", "experiment.jsonl");
      await cut(file);
      const backend = createFileBackend({ root });
      expectNamed(await rejection(backend.getExperiment("cut")), file, /truncated|empty|missing/);
      const create = await rejection(backend.createExperiment({ name: "cut" }));
      expectNamed(create, file, /truncated|empty|missing/);
      expectNamed(
        await rejection(backend.createRun("cut", { name: "r2", state: "RUNNING" })),
        file,
        /truncated|empty|missing/,
      );
      expectNamed(await rejection(backend.listExperiments()), file);
      expect((await backend.getExperiment("fine"))?.description).toBe("fine experiment");
      expect((await backend.listRuns("fine")).items.map((r) => r.name)).toEqual(["r"]);
      await backend.createRun("fine", { name: "r2", state: "RUNNING" });
      await backend.close();
    });
  }

  it("a runs.jsonl shorter than its snapshot records is an error naming it and both sizes; other experiments read", async () => {
    const root = await tempDir();
    await twoExperiments(root);
    const writer = createFileBackend({ root, fsync: false });
    const params = Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`param_${k}`, `value-${k}`]));
    for (let i = 0; i < 2500; i++) {
      await writer.createRun("cut", { name: `run-${i}`, state: "RUNNING" });
      await writer.updateRun({ experiment: "cut", run: `run-${i}` }, { params });
    }
    await writer.close();
    const log = path.join(root, "experiments", "cut", "runs.jsonl");
    const snapshot = JSON.parse(
      await readFile(path.join(root, "experiments", "cut", "runs.snapshot.json"), "utf8"),
    ) as { logBytes: number };
    const half = Math.floor((await stat(log)).size / 2);
    expect(snapshot.logBytes).toBeGreaterThan(half);
    await truncate(log, half);

    const backend = createFileBackend({ root });
    const error = await rejection(backend.listRuns("cut"));
    expectNamed(error, log, String(half), String(snapshot.logBytes));
    expectNamed(await rejection(backend.getRun({ experiment: "cut", run: "run-1" })), log);
    expectNamed(await rejection(backend.createRun("cut", { name: "late", state: "RUNNING" })), log);
    expect((await backend.listRuns("fine")).items.map((r) => r.name)).toEqual(["r"]);
    await backend.close();
  }, 60_000);

  it("a runs.jsonl truncated under a backend that already read further is an error, not silently fewer runs", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "e" });
    for (let i = 0; i < 10; i++) await backend.createRun("e", { name: `r${i}`, state: "RUNNING" });
    expect((await backend.listRuns("e")).items).toHaveLength(10);
    const log = path.join(root, "experiments", "e", "runs.jsonl");
    const size = (await stat(log)).size;
    await truncate(log, Math.floor(size / 2));
    expectNamed(await rejection(backend.listRuns("e")), log, String(Math.floor(size / 2)));
    await backend.close();
  });
});
