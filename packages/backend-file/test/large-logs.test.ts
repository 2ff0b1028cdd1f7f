import { appendFileSync, closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { cp, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFileBackend, FORMAT_VERSION } from "../src/index.js";
import { readLineBlocks } from "../src/jsonl.js";
import { fixture } from "./children.js";
import { tempDir } from "./helpers.js";

// V8 cannot hold a string longer than 2^29 - 24 characters (~512 MiB). A `runs.jsonl` grows by a
// `latest` record per flush and run, so a long-lived experiment's log passes that; a reader with no
// usable snapshot (a fresh store from a layout-1 upgrade, whose snapshots are of the old fold) must
// still read it, and the upgrade must read it too. Both read logs a block at a time.
const TARGET_BYTES = 540 * 1024 * 1024;
const KEPT_UID = "M4Xh-C4bPuYL"; // run "kept" of exp-b in the layout-1 fixture

describe("logs are read a block at a time", () => {
  it("lines across blocks, a line longer than a block and an unfinished last line", async () => {
    const file = path.join(await tempDir(), "log.jsonl");
    const text = `{"a":1}\n{"b":"${"x".repeat(40)}"}\n{"c":"é"}\n\n{"d":4}\n{"unfinished`;
    writeFileSync(file, text);
    const fd = openSync(file, "r");
    for (const block of [1, 3, 7, 16, 1 << 20]) {
      const seen: { text: string; offset: number }[] = [];
      const end = readLineBlocks(
        fd,
        8,
        Buffer.byteLength(text),
        (t, offset) => seen.push({ text: t, offset }),
        block,
      );
      const complete = Buffer.from(text).subarray(0, Buffer.from(text).lastIndexOf(10) + 1);
      expect(end).toBe(complete.length);
      expect(seen.map((s) => s.text).join("")).toBe(complete.subarray(8).toString());
      for (const s of seen) {
        expect(s.text.endsWith("\n")).toBe(true);
        expect(complete.subarray(s.offset, s.offset + Buffer.byteLength(s.text)).toString()).toBe(s.text);
      }
    }
    closeSync(fd);
  });
});

describe("a runs.jsonl past 512 MiB", () => {
  it("a layout-1 store with one upgrades, and every run and latest point reads back", async () => {
    const root = path.join(await tempDir(), "store");
    await cp(fixture("store-v1"), root, { recursive: true });
    const log = path.join(root, "experiments", "exp-b", "runs.jsonl");
    // The fixture's log ends with a torn record: the first filler line is appended after it.
    const lines: string[] = [];
    for (let size = 0, i = 0; size < 1 << 20; i++) {
      const line = `{"op":"latest","run":"kept","uid":"${KEPT_UID}","t":1,"series":{"loss":{"step":${i},"wallTime":${i},"value":0.5}}}\n`;
      lines.push(line);
      size += line.length;
    }
    const block = Buffer.from(lines.join(""));
    const fd = openSync(log, "a");
    for (let written = 0; written < TARGET_BYTES; written += block.length) writeSync(fd, block);
    closeSync(fd);
    appendFileSync(
      log,
      `{"op":"latest","run":"kept","uid":"${KEPT_UID}","t":2,"series":{"loss":{"step":1000000000,"wallTime":7,"value":0.25}}}\n` +
        `{"op":"update","run":"kept","uid":"${KEPT_UID}","t":3,"params":{"after":2}}\n` +
        `{"op":"create","run":"late","uid":"AAAAAAAAAAAA","t":4,"runType":"system.ExperimentRun","state":"RUNNING"}\n`,
    );
    expect((await stat(log)).size).toBeGreaterThan(2 ** 29);

    const backend = createFileBackend({ root });
    const runs = (await backend.listRuns("exp-b", { withLatestTimeSeries: true })).items;
    expect(runs.map((r) => r.name)).toEqual(["kept", "late"]);
    expect(runs[0]!.params).toEqual({ k: 1, after: 2 });
    expect(runs[0]!.latestTimeSeries?.loss).toEqual({ metric: "loss", step: 1e9, wallTime: 7, value: 0.25 });
    // The upgrade went through (the run's layout-2 directory is named by its incarnation).
    const marker = JSON.parse(await readFile(path.join(root, "exprun-store.json"), "utf8"));
    expect(marker.version).toBe(FORMAT_VERSION);
    // A write after it appends and reads as usual.
    await backend.updateRun({ experiment: "exp-b", run: "late" }, { params: { x: 1 } });
    expect((await createFileBackend({ root }).getRun({ experiment: "exp-b", run: "late" }))?.params).toEqual({
      x: 1,
    });
    await backend.close();
  }, 600_000);
});
