import { statSync, truncateSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importInto, openWandb } from "../src/index.js";
import {
  configRecord,
  exitRecord,
  headerRecord,
  historyRecord,
  outputRecord,
  runRecord,
  summaryRecord,
  writeOfflineRun,
} from "./generators/wandb.js";
import { copyFixture, fingerprint, tempDir } from "./helpers.js";
import { find, STORES, storedRuns } from "./stores.js";

const T0 = 1_700_000_000; // seconds

function finished(runId: string, name: string, exitCode: number): Uint8Array[] {
  return [
    headerRecord("0.19.0"),
    runRecord({
      runId,
      project: "Image Classification",
      entity: "team-a",
      displayName: name,
      notes: `notes of ${name}`,
      tags: ["baseline"],
      startSeconds: T0 + 0.5,
      config: { lr: 0.001, optimizer: { name: "adam" }, epochs: 3 },
    }),
    configRecord({ batch_size: 64 }),
    outputRecord("epoch 1"),
    historyRecord({ loss: 1.5, "train.acc": 0.5, _timestamp: T0 + 1 }, 0),
    historyRecord({ loss: 1.0, "train.acc": 0.7, _timestamp: T0 + 2 }, 1),
    historyRecord({ loss: "RAW:NaN", "train.acc": 0.8, _timestamp: T0 + 3 }, 2),
    summaryRecord({ best_loss: 1.0 }),
    exitRecord(exitCode, 10),
  ];
}

/** A wandb folder: two finished runs (exit 0 and 1) and one that crashed (no exit record, log cut). */
function wandbDir(): { dir: string; crashedLog: string } {
  const dir = tempDir();
  writeOfflineRun(dir, "20240101_120000", "run0001a", finished("run0001a", "fancy-sun-12", 0));
  writeOfflineRun(dir, "20240101_130000", "run0002b", finished("run0002b", "dark-moon-13", 1));
  const crashed = writeOfflineRun(dir, "20240101_140000", "run0003c", [
    headerRecord("0.19.0"),
    runRecord({
      runId: "run0003c",
      project: "Image Classification",
      entity: "team-a",
      startSeconds: T0 + 100,
    }),
    historyRecord({ loss: 3, _timestamp: T0 + 101 }, 0),
    historyRecord({ loss: 2, _timestamp: T0 + 102 }, 1),
    historyRecord({ loss: 1, _timestamp: T0 + 103 }, 2),
  ]);
  return { dir, crashedLog: crashed.file };
}

describe.each(STORES)("import wandb into a $name store", ({ open }) => {
  it("writes project → experiment, config → params, history → points, summary, tags, notes, exit states and times", async () => {
    const { dir } = wandbDir();
    const before = fingerprint(dir);
    const store = open();
    const summary = await importInto(await openWandb(dir), store);
    expect(summary.written).toMatchObject({
      experiments: { created: 1 },
      runs: { created: 3, failed: 0 },
      points: 2 * 6 + 3,
      notes: 2,
    });
    const runs = await storedRuns(store);
    expect(runs.map((r) => [r.experiment, r.name, r.state])).toEqual([
      ["image-classification", "fancy-sun-12", "COMPLETE"],
      ["image-classification", "dark-moon-13", "FAILED"],
      ["image-classification", "run0003c", "RUNNING"],
    ]);
    const sun = find(runs, "image-classification/fancy-sun-12");
    expect(sun.params).toEqual({ lr: 0.001, "optimizer.name": "adam", epochs: 3, batch_size: 64 });
    expect(sun.series.loss).toEqual({
      steps: [0, 1, 2],
      wallTimes: [(T0 + 1) * 1000, (T0 + 2) * 1000, (T0 + 3) * 1000],
      values: [1.5, 1.0, Number.NaN],
    });
    expect(sun.series["train.acc"]!.values).toEqual([0.5, 0.7, 0.8]);
    expect(sun.metrics).toEqual({ loss: Number.NaN, "train.acc": 0.8, best_loss: 1.0 });
    expect(sun.tags).toMatchObject({ baseline: "", "wandb.run_id": "run0001a", "wandb.entity": "team-a" });
    expect(sun.description).toBe("notes of fancy-sun-12");
    if (store.capabilities.keepsTimes) {
      expect([sun.createTime, sun.updateTime]).toEqual([T0 * 1000 + 500, T0 * 1000 + 500 + 10_000]);
      expect(find(runs, "image-classification/run0003c").updateTime).toBe((T0 + 103) * 1000);
    }
    expect(summary.warnings).toEqual([expect.stringContaining("no exit record")]);
    expect(fingerprint(dir)).toEqual(before);
  });

  it("a second import writes nothing; a truncated log keeps what came before the cut", async () => {
    const { dir, crashedLog } = wandbDir();
    const store = open();
    await importInto(await openWandb(dir), store);
    const again = await importInto(await openWandb(dir), store);
    expect(again.nothingToWrite).toBe(true);
    expect(again.written.runs).toEqual({ created: 0, updated: 0, unchanged: 3, failed: 0 });

    // The crashed run's log is cut mid-record: the import keeps what comes before the cut and warns;
    // the store keeps every point it has (an import never deletes), only the summary follows the source.
    truncateSync(crashedLog, statSync(crashedLog).size - 3);
    const cut = await importInto(await openWandb(dir), store);
    expect(cut.points).toBe(2 * 6 + 2);
    expect(cut.written).toMatchObject({ runs: { updated: 1, unchanged: 2 }, points: 0, metrics: 1 });
    expect(cut.warnings).toEqual(expect.arrayContaining([expect.stringContaining(crashedLog)]));
    expect(find(await storedRuns(store), "image-classification/run0003c").series.loss!.steps).toEqual([
      0, 1, 2,
    ]);
  });

  // `wandb.init(id=…, resume=True)` writes a second offline-run folder with the same run id. Both are
  // one run: the second folder brings it up to date, in one import and in a re-import.
  it("imports a resumed run (one run id in two folders) as one run, the folders in time order", async () => {
    const dir = tempDir();
    const first = writeOfflineRun(dir, "20240101_120000", "resum01a", [
      headerRecord("0.19.0"),
      runRecord({
        runId: "resum01a",
        project: "resumed",
        entity: "team-a",
        displayName: "long-job",
        startSeconds: T0,
      }),
      historyRecord({ loss: 3, _timestamp: T0 + 1 }, 0),
      historyRecord({ loss: 2, _timestamp: T0 + 2 }, 1),
    ]);
    const second = writeOfflineRun(dir, "20240102_080000", "resum01a", [
      headerRecord("0.19.0"),
      runRecord({
        runId: "resum01a",
        project: "resumed",
        entity: "team-a",
        displayName: "long-job",
        startSeconds: T0,
      }),
      historyRecord({ loss: 1, _timestamp: T0 + 100 }, 2),
      exitRecord(0, 100),
    ]);
    const store = open();
    const summary = await importInto(await openWandb(dir), store);
    expect(summary.runs).toBe(1);
    expect(summary.written.runs).toEqual({ created: 1, updated: 0, unchanged: 0, failed: 0 });
    expect(summary.warnings).toEqual([
      `${first.file}, ${second.file}: one run in 2 folders (W&B writes a new folder when a run is resumed); imported as one run, the folders in time order`,
    ]);
    const runs = await storedRuns(store);
    expect(runs.map((r) => [r.name, r.state])).toEqual([["long-job", "COMPLETE"]]);
    expect(find(runs, "resumed/long-job").series.loss).toMatchObject({ steps: [0, 1, 2], values: [3, 2, 1] });
    expect((await importInto(await openWandb(dir), store)).nothingToWrite).toBe(true);
  });

  it("keeps two files that claim one run id as two runs, so that a re-import writes nothing", async () => {
    const dir = tempDir();
    writeOfflineRun(dir, "20240101_120000", "same01a", finished("same01a", "twin", 0));
    const copy = writeOfflineRun(dir, "20240101_130000", "renamed", finished("same01a", "twin", 1));
    const store = open();
    const first = await importInto(await openWandb(dir), store);
    expect(first.written.runs).toMatchObject({ created: 2, failed: 0 });
    expect((await storedRuns(store)).map((r) => [r.name, r.state])).toEqual([
      ["twin", "COMPLETE"],
      ["twin-2", "FAILED"],
    ]);
    expect(copy.file).toMatch(/run-renamed\.wandb$/);
    const again = await importInto(await openWandb(dir), store);
    expect(again.nothingToWrite).toBe(true);
  });

  it("imports the offline run wandb 0.30 wrote", async () => {
    const dir = copyFixture("wandb/wandb-0.30-local/wandb");
    const store = open();
    const summary = await importInto(await openWandb(dir), store);
    expect(summary.written.runs.created).toBe(1);
    const run = find(await storedRuns(store), "real-project/tiny-offline");
    expect(run.series.loss!.steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(run.series.loss!.values).toEqual([1, 0.5, 1 / 3, 0.25, 0.2, Number.NaN]);
    expect(run.params).toMatchObject({ lr: 0.01, epochs: 3 });
    expect(run.tags).toMatchObject({ baseline: "", cpu: "", "wandb.run_id": "6j360tii" });
    expect(run.description).toBe("written offline by wandb");
    expect((await importInto(await openWandb(dir), store)).nothingToWrite).toBe(true);
  });
});
