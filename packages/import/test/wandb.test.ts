import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openWandb, planImport, UnsupportedSourceError } from "../src/index.js";
import {
  configRecord,
  encodeLog,
  exitRecord,
  headerRecord,
  historyRecord,
  outputRecord,
  runRecord,
  statsRecord,
  summaryRecord,
  writeOfflineRun,
} from "./generators/wandb.js";
import { collect, copyFixture, fingerprint, tempDir } from "./helpers.js";

describe("a transaction log written by wandb-core", () => {
  it("reads history steps from HistoryRecord.step (0, 5, 10), nested keys, the exit record", async () => {
    const dir = copyFixture("wandb/synthesized-core/offline-run-new_explicit_steps");
    const before = fingerprint(dir);
    const source = await openWandb(dir);
    const [run, ...rest] = await collect(source);
    expect(rest).toEqual([]);
    expect(run!.sourceId).toBe("new_explicit_steps");
    expect(run!.name).toBe("new-explicit-steps");
    expect(run!.experiment.name).toBe("uncategorized");
    expect(run!.series.x!.steps).toEqual([0, 5, 10]);
    expect(run!.series.x!.values).toEqual([0, 1, 2]);
    expect(run!.metrics).toEqual({ x: 2 });
    expect(run!.state).toBe("COMPLETE");
    expect(source.report.warnings).toEqual([]);
    expect(fingerprint(dir)).toEqual(before);
  });
});

describe("an offline run written by wandb 0.30 (wandb-core) on this machine", () => {
  it("maps project, name, config, history, summary, notes, tags, exit and times", async () => {
    const dir = copyFixture("wandb/wandb-0.30-local/wandb");
    const before = fingerprint(dir);
    const source = await openWandb(dir);
    const [run, ...rest] = await collect(source);
    expect(rest).toEqual([]);
    expect(run!.experiment.name).toBe("real-project");
    expect(run!.experiment.sourceName).toBe("Real Project");
    expect(run!.name).toBe("tiny-offline");
    expect(run!.sourceId).toBe("6j360tii");
    expect(run!.params).toEqual({
      lr: 0.01,
      "optimizer.name": "adam",
      "optimizer.betas": "[0.9,0.999]",
      epochs: 3,
    });
    expect(run!.series.loss!.steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(run!.series.loss!.values).toEqual([1, 0.5, 1 / 3, 0.25, 0.2, Number.NaN]);
    expect(run!.series.acc!.values).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(run!.series["train.lr"]!.values[4]).toBeCloseTo(0.006561, 12);
    expect(run!.metrics).toMatchObject({ acc: 0.8, best_acc: 0.8, loss: Number.NaN });
    expect(run!.description).toBe("written offline by wandb");
    expect(run!.tags).toMatchObject({ baseline: "", cpu: "", "wandb.run_id": "6j360tii" });
    expect(run!.state).toBe("COMPLETE");
    expect(run!.createTime).toBeGreaterThan(1_700_000_000_000);
    expect(run!.updateTime).toBeGreaterThanOrEqual(run!.createTime!);
    const wall = run!.series.loss!.wallTimes;
    expect(wall.every((t) => t >= run!.createTime! && t <= run!.updateTime!)).toBe(true);
    expect(source.report.warnings).toEqual([]);
    expect(fingerprint(dir)).toEqual(before);
  });
});

const T0 = 1_700_000_000;

function fullRun(runId = "abc123xy"): Uint8Array[] {
  return [
    headerRecord("0.19.0"),
    runRecord({
      runId,
      project: "Image Classification",
      entity: "team-a",
      displayName: "fancy-sun-12",
      notes: "baseline with augmentations",
      tags: ["baseline", "resnet"],
      group: "sweep-1",
      jobType: "train",
      host: "gpu-7",
      startSeconds: T0 + 0.5,
      config: { lr: 0.001, optimizer: { name: "adam", betas: [0.9, 0.999] }, epochs: 3, _wandb: { x: 1 } },
      gitCommit: "deadbeef",
    }),
    configRecord({ batch_size: 64, augment: true, note: null }),
    outputRecord("epoch 1"),
    statsRecord(),
    historyRecord({ loss: 1.5, "train.acc": 0.5, _timestamp: T0 + 1, _runtime: 1 }, 0),
    historyRecord(
      { loss: 1.0, "train.acc": 0.7, _timestamp: T0 + 2, image: { _type: "image-file", path: "a.png" } },
      1,
    ),
    historyRecord({ loss: "RAW:NaN", "train.acc": 0.8, _timestamp: T0 + 3, label: "cat" }, 2),
    summaryRecord({ best_loss: 1.0, "train.acc": 0.81 }),
    exitRecord(0, 10),
  ];
}

describe("generated W&B offline runs", () => {
  it("maps project, run, config, history, summary, tags, notes, exit and times", async () => {
    const wandb = tempDir();
    writeOfflineRun(wandb, "20240101_120000", "abc123xy", fullRun());
    const source = await openWandb(wandb);
    const [run] = await collect(source);
    expect(run!.experiment).toEqual({
      name: "image-classification",
      sourceName: "Image Classification",
      sourceId: "team-a/Image Classification",
      description: "",
    });
    expect(run!.name).toBe("fancy-sun-12");
    expect(run!.sourceId).toBe("abc123xy");
    expect(run!.params).toEqual({
      lr: 0.001,
      "optimizer.name": "adam",
      "optimizer.betas": "[0.9,0.999]",
      epochs: 3,
      batch_size: 64,
      augment: true,
    });
    expect(run!.series.loss).toEqual({
      steps: [0, 1, 2],
      wallTimes: [(T0 + 1) * 1000, (T0 + 2) * 1000, (T0 + 3) * 1000],
      values: [1.5, 1.0, Number.NaN],
    });
    expect(run!.series["train.acc"]!.values).toEqual([0.5, 0.7, 0.8]);
    expect(run!.metrics).toEqual({ loss: Number.NaN, "train.acc": 0.81, best_loss: 1.0 });
    expect(run!.tags).toEqual({
      baseline: "",
      resnet: "",
      "wandb.run_id": "abc123xy",
      "wandb.entity": "team-a",
      "wandb.group": "sweep-1",
      "wandb.job_type": "train",
      "wandb.host": "gpu-7",
      "wandb.git.commit": "deadbeef",
      "wandb.git.remote": "https://example.com/repo.git",
    });
    expect(run!.description).toBe("baseline with augmentations");
    expect(run!.state).toBe("COMPLETE");
    expect(run!.createTime).toBe(T0 * 1000 + 500);
    expect(run!.updateTime).toBe(T0 * 1000 + 500 + 10_000);
    expect(source.report.skipped).toEqual({
      consoleLines: 1,
      systemMetrics: 1,
      images: 1,
      nonNumericHistory: 1,
      nullConfigValues: 1,
    });
    expect(source.report.warnings).toEqual([]);
  });

  it("applies summary and config removals, and nested history dicts become dotted keys", async () => {
    const wandb = tempDir();
    writeOfflineRun(wandb, "20240101_120000", "rm1", [
      runRecord({ runId: "rm1", project: "p", config: { keep: 1, drop: { a: 1, b: 2 } } }),
      configRecord({}, ["drop"]),
      historyRecord({ eval: { loss: 0.5, top1: 0.9 }, _timestamp: T0 }, 0),
      summaryRecord({ note: "text summary", gone: 1 }),
      summaryRecord({}, ["gone", "eval.top1"]),
      exitRecord(0),
    ]);
    const [run] = await collect(await openWandb(wandb));
    expect(run!.params).toEqual({ keep: 1 });
    expect(Object.keys(run!.series)).toEqual(["eval.loss", "eval.top1"]);
    expect(run!.metrics).toEqual({ "eval.loss": 0.5, note: "text summary" });
  });

  it("older logs: the step comes from the _step item", async () => {
    const wandb = tempDir();
    writeOfflineRun(wandb, "20240101_120000", "old1", [
      runRecord({ runId: "old1", project: "legacy" }),
      historyRecord({ acc: 0.1, _timestamp: T0 }, 0, "item"),
      historyRecord({ acc: 0.2, _timestamp: T0 + 1 }, 3, "item"),
      exitRecord(1),
    ]);
    const [run] = await collect(await openWandb(wandb));
    expect(run!.series.acc!.steps).toEqual([0, 3]);
    expect(run!.state).toBe("FAILED");
  });

  it("files/config.yaml and wandb-summary.json fill what the log lacks, never overriding it", async () => {
    const wandb = tempDir();
    const { dir } = writeOfflineRun(
      wandb,
      "20240101_120000",
      "fill1",
      [
        runRecord({ runId: "fill1", project: "p1", config: { lr: 0.5 } }),
        historyRecord({ loss: 2 }, 0),
        exitRecord(0),
      ],
      {
        config:
          "wandb_version: 1\n_wandb:\n  desc: null\n  value: {}\nlr:\n  desc: null\n  value: 0.9\nlayers:\n  desc: null\n  value: 4\n",
        summary: JSON.stringify({ loss: 99, val_acc: 0.93, _runtime: 5, _wandb: { runtime: 5 } }).replace(
          "0.93",
          "NaN",
        ),
      },
    );
    const [run] = await collect(await openWandb(dir));
    expect(run!.params).toEqual({ lr: 0.5, layers: 4 });
    expect(run!.metrics).toEqual({ loss: 2, val_acc: Number.NaN });
  });

  it("records larger than a block are joined from first, middle and last chunks", async () => {
    const wandb = tempDir();
    const big = "x".repeat(80_000);
    const records = [
      runRecord({ runId: "big1", project: "p", notes: big }),
      historyRecord({ a: 1 }, 0),
      exitRecord(0),
    ];
    const { layout } = writeOfflineRun(wandb, "20240101_120000", "big1", records);
    expect(layout.bytes.length).toBeGreaterThan(2 * 32 * 1024); // first + middle + last chunks
    const [run] = await collect(await openWandb(wandb));
    expect(run!.description).toBe(big);
    expect(run!.series.a!.values).toEqual([1]);
  });

  it("a truncated log keeps every record before the cut and warns with the file and byte offset", async () => {
    const wandb = tempDir();
    const records = [runRecord({ runId: "cut1", project: "p" })];
    for (let i = 0; i < 2000; i++) records.push(historyRecord({ loss: i, _timestamp: T0 + i }, i));
    records.push(exitRecord(0));
    const { file, layout } = writeOfflineRun(wandb, "20240101_120000", "cut1", records);
    const cutRecord = 1500;
    truncateSync(file, layout.offsets[cutRecord + 1]! + 3);
    const source = await openWandb(wandb);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toHaveLength(cutRecord);
    expect(run!.state).toBe("RUNNING");
    expect(source.report.warnings).toEqual([
      expect.stringContaining(`${file}: truncated record at byte ${layout.offsets[cutRecord + 1]}`),
      `${file}: no exit record (the run crashed, was killed, or is still running); imported as RUNNING`,
    ]);
  });

  it("a damaged chunk drops its record and reading resumes at the next block", async () => {
    const wandb = tempDir();
    const records = [runRecord({ runId: "bad1", project: "p" })];
    for (let i = 0; i < 3000; i++) records.push(historyRecord({ loss: i }, i));
    records.push(exitRecord(0));
    const { file, layout } = writeOfflineRun(wandb, "20240101_120000", "bad1", records);
    const damaged = 100;
    layout.bytes[layout.offsets[damaged]! + 9]! ^= 0xff; // a data byte
    writeFileSync(file, layout.bytes);
    const source = await openWandb(wandb);
    const [run] = await collect(source);
    const steps = run!.series.loss!.steps;
    const nextBlock = Math.ceil((layout.offsets[damaged]! + 1) / 32768) * 32768;
    const firstAfter = layout.offsets.findIndex((o) => o >= nextBlock);
    // records from the damaged one to the end of its block are lost; everything else is kept
    expect(steps.slice(0, damaged - 1)).toEqual(Array.from({ length: damaged - 1 }, (_, i) => i));
    expect(steps).not.toContain(damaged - 1);
    expect(steps).toContain(firstAfter - 1);
    expect(steps[steps.length - 1]).toBe(2999);
    expect(run!.state).toBe("COMPLETE");
    expect(source.report.warnings).toEqual([
      `${file}: damaged chunk (CRC mismatch) at byte ${layout.offsets[damaged]}; skipped to the next block`,
    ]);
  });

  it("an unknown format version is a warning, not a crash", async () => {
    const wandb = tempDir();
    const dir = path.join(wandb, "offline-run-x-v9");
    mkdirSync(dir);
    const file = path.join(dir, "run-v9.wandb");
    writeFileSync(
      file,
      encodeLog([runRecord({ runId: "v9", project: "p" }), historyRecord({ a: 1 }, 0), exitRecord(0)], 9)
        .bytes,
    );
    const source = await openWandb(dir);
    const [run] = await collect(source);
    expect(run!.series.a!.values).toEqual([1]);
    expect(source.report.warnings).toEqual([
      expect.stringMatching(/run-v9\.wandb: transaction-log format version 9/),
    ]);
  });

  it("a wandb folder of runs: each run once (latest-run is a symlink), run names unique in their project", async () => {
    const wandb = tempDir();
    const a = writeOfflineRun(wandb, "20240101_120000", "run1", [
      runRecord({ runId: "run1", project: "p", displayName: "same" }),
      exitRecord(0),
    ]);
    writeOfflineRun(wandb, "20240102_120000", "run2", [
      runRecord({ runId: "run2", project: "p", displayName: "same" }),
      exitRecord(0),
    ]);
    writeOfflineRun(wandb, "20240103_120000", "run3", [
      runRecord({ runId: "run3", project: "q", displayName: "same" }),
      exitRecord(0),
    ]);
    symlinkSync(a.dir, path.join(wandb, "latest-run"));
    mkdirSync(path.join(wandb, "debug-internal"));
    const plan = await planImport(await openWandb(wandb));
    expect(plan.mapping.runs.map((r) => `${r.experiment}/${r.to}`)).toEqual([
      "p-exp/same",
      "p-exp/same-2",
      "q-exp/same",
    ]);
  });

  it("a project folder holding wandb/ is accepted", async () => {
    const project = tempDir();
    writeOfflineRun(path.join(project, "wandb"), "20240101_120000", "r1", [
      runRecord({ runId: "r1", project: "demo" }),
      exitRecord(0),
    ]);
    const plan = await planImport(await openWandb(project));
    expect(plan.runs).toBe(1);
  });

  it("a path that is not a W&B run is an UnsupportedSourceError saying what was expected", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "notes.txt"), "hi");
    await expect(openWandb(dir)).rejects.toThrow(UnsupportedSourceError);
    await expect(openWandb(dir)).rejects.toThrow(/is not a W&B run\. Expected a W&B offline run folder/);
  });

  it("a .wandb file without the W&B header is skipped with a warning", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "run-zzz.wandb"), "not a log at all");
    const source = await openWandb(dir);
    expect(await collect(source)).toEqual([]);
    expect(source.report.warnings[0]).toMatch(/does not start with the W&B transaction-log header/);
    expect(source.report.skipped).toEqual({ unreadableRuns: 1 });
  });
});
