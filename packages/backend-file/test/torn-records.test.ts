import { appendFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { parseLines } from "../src/jsonl.js";
import { tempDir } from "./helpers.js";
import { seriesFile } from "./layout.js";

describe("records torn by a crash", () => {
  it("an incomplete last line (a writer killed mid-write) is ignored and the store reads", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "e" });
    await backend.createRun("e", { name: "r", state: "RUNNING" });
    await backend.updateRun({ experiment: "e", run: "r" }, { params: { a: 1 } });
    await appendFile(
      path.join(root, "experiments", "e", "runs.jsonl"),
      '{"op":"update","run":"r","uid":"x","t":1,"par',
    );
    const fresh = createFileBackend({ root });
    expect((await fresh.getRun({ experiment: "e", run: "r" }))?.params).toEqual({ a: 1 });
    await backend.close();
  });

  it("a record appended after a torn one by another process is recovered, not lost", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "e" });
    await backend.createRun("e", { name: "r", state: "RUNNING" });
    const log = path.join(root, "experiments", "e", "runs.jsonl");
    const uid = (JSON.parse((await readFile(log, "utf8")).split("\n")[0]!) as { uid: string }).uid;
    await appendFile(log, `{"op":"update","run":"r","uid":"${uid}","t":1,"params":{"torn":{"deep":`);
    // a second process appends a complete record, which lands on the torn record's line
    const other = createFileBackend({ root });
    await other.updateRun({ experiment: "e", run: "r" }, { params: { after: 2 } });
    expect((await createFileBackend({ root }).getRun({ experiment: "e", run: "r" }))?.params).toEqual({
      after: 2,
    });
    await backend.close();
    await other.close();
  });

  it("a torn time-series chunk followed by another writer's chunk keeps the complete points", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "e" });
    await backend.createRun("e", { name: "r", state: "RUNNING" });
    const ref = { experiment: "e", run: "r" };
    await backend.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
    await backend.flush();
    const file = seriesFile(root, "e", "r");
    await appendFile(file, '{"step":2,"wallTime":2,"values":{"lo');
    await backend.appendTimeSeries(ref, [{ step: 3, wallTime: 3, values: { loss: 3 } }]);
    await backend.flush();
    expect((await readSeriesPoints(backend, ref)).map((p) => p.step)).toEqual([1, 3]);
    await backend.close();
  });

  it("the parser tells a torn prefix from a corrupt line", () => {
    const seen: unknown[] = [];
    parseLines('{"a":1}\n{"b":{"c":{"op":1}{"d":2}\n', "f", 0, (r) => seen.push(r));
    expect(seen).toEqual([{ a: 1 }, { d: 2 }]);
    expect(() => parseLines('{"a":1}\nnot json\n{"b":2}\n', "/x/f.jsonl", 100, () => {})).toThrow(
      /Corrupt or foreign record in \/x\/f\.jsonl at byte 108/,
    );
  });

  it("an empty or whitespace-free torn file does not break experiment creation", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "e" });
    await writeFile(path.join(root, "experiments", "e", "runs.jsonl"), "");
    await backend.createRun("e", { name: "r", state: "RUNNING" });
    expect((await backend.listRuns("e")).items.map((r) => r.name)).toEqual(["r"]);
    await backend.close();
  });
});
