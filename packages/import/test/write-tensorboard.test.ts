import { mkdirSync, readdirSync, statSync, truncateSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importInto, openTensorBoard } from "../src/index.js";
import {
  fileVersion,
  histogram,
  hparamsEnd,
  hparamsStart,
  image,
  simpleScalar,
  simpleScalars,
  tensorScalar,
  writeEventFile,
} from "./generators/tfevents.js";
import { copyFixture, fingerprint, tempDir } from "./helpers.js";
import { find, STORES, storedRuns } from "./stores.js";

const T0 = 1_700_000_000; // seconds, as TensorBoard writes wall times

/** A log directory with two runs: `train` (simple values, hparams, a restart at step 2) and `eval/tf2` (TF2 tensors). */
function logdir(): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "train"));
  mkdirSync(path.join(dir, "eval", "tf2"), { recursive: true });
  writeEventFile(path.join(dir, "train", "events.out.tfevents.1700000000.host.1.0"), [
    fileVersion(T0),
    hparamsStart(T0, { lr: 0.01, optimizer: "adam", dropout: true }),
    simpleScalars(T0 + 1, 0, { "train/loss": 1.5, "train/acc": 0.25 }),
    simpleScalars(T0 + 2, 1, { "train/loss": 1.25, "train/acc": 0.5 }),
    simpleScalars(T0 + 3, 2, { "train/loss": 9, "train/acc": 0.5 }),
    image(T0 + 3, 2, "samples"),
    histogram(T0 + 3, 2, "weights"),
  ]);
  // Restarted from the checkpoint of step 1: step 2 is logged again, later; that one is kept.
  writeEventFile(path.join(dir, "train", "events.out.tfevents.1700000100.host.2.0"), [
    simpleScalars(T0 + 100.5, 2, { "train/loss": 1, "train/acc": 0.75 }),
    simpleScalars(T0 + 101.25, 3, { "train/loss": 0.75, "train/acc": 0.875 }),
    hparamsEnd(T0 + 102, 2),
  ]);
  writeEventFile(path.join(dir, "eval", "tf2", "events.out.tfevents.1700000200.host.3.0.v2"), [
    tensorScalar(T0 + 200, 0, "loss", 0.5, "float_val"),
    tensorScalar(T0 + 201, 1, "loss", 0.25, "double_content", false),
    simpleScalar(T0 + 202, 2, "loss", 0.125),
  ]);
  return dir;
}

describe.each(STORES)("import tensorboard into a $name store", ({ open }) => {
  it("writes every scalar with its step and wall time (ms), hparams as params, states, summaries and times", async () => {
    const dir = logdir();
    const before = fingerprint(dir);
    const store = open();
    const summary = await importInto(await openTensorBoard(dir, { experiment: "tb-import" }), store);
    expect(summary.written).toMatchObject({
      experiments: { created: 1 },
      runs: { created: 2, failed: 0 },
      params: 3,
      metrics: 3,
      points: 11,
    });
    expect(summary.skipped).toEqual({ images: 1, histograms: 1 });
    const runs = await storedRuns(store);
    expect(runs.map((r) => [r.name, r.state])).toEqual([
      ["eval-tf2", "COMPLETE"],
      ["train", "FAILED"], // hparams session_end_info status 2
    ]);
    const train = find(runs, "tb-import/train");
    expect(train.params).toEqual({ lr: 0.01, optimizer: "adam", dropout: true });
    expect(train.series["train/loss"]).toEqual({
      steps: [0, 1, 2, 3],
      wallTimes: [T0 + 1, T0 + 2, T0 + 100.5, T0 + 101.25].map((s) => s * 1000),
      values: [1.5, 1.25, 1, 0.75],
    });
    expect(train.series["train/acc"]!.values).toEqual([0.25, 0.5, 0.75, 0.875]);
    expect(train.metrics).toEqual({ "train/loss": 0.75, "train/acc": 0.875 });
    const tf2 = find(runs, "tb-import/eval-tf2");
    expect(tf2.series.loss).toEqual({
      steps: [0, 1, 2],
      wallTimes: [(T0 + 200) * 1000, (T0 + 201) * 1000, (T0 + 202) * 1000],
      values: [0.5, 0.25, 0.125],
    });
    if (store.capabilities.keepsTimes) {
      expect([train.createTime, train.updateTime]).toEqual([T0 * 1000, (T0 + 102) * 1000]);
      expect([tf2.createTime, tf2.updateTime]).toEqual([(T0 + 200) * 1000, (T0 + 202) * 1000]);
    }
    expect(fingerprint(dir)).toEqual(before);
  });

  it("a second import writes nothing; a run that grew gets only its new points", async () => {
    const dir = logdir();
    const store = open();
    await importInto(await openTensorBoard(dir, { experiment: "tb-import" }), store);
    const again = await importInto(await openTensorBoard(dir, { experiment: "tb-import" }), store);
    expect(again.nothingToWrite).toBe(true);
    expect(again.written.runs).toEqual({ created: 0, updated: 0, unchanged: 2, failed: 0 });
    expect(again.points).toBe(11);

    // Training went on: a third file with steps 4 and 5.
    writeEventFile(path.join(dir, "train", "events.out.tfevents.1700000300.host.4.0"), [
      simpleScalars(T0 + 300, 4, { "train/loss": 0.5, "train/acc": 0.9 }),
      simpleScalars(T0 + 301, 5, { "train/loss": 0.25, "train/acc": 0.95 }),
    ]);
    const planned = await importInto(await openTensorBoard(dir, { experiment: "tb-import" }), store, {
      dryRun: true,
    });
    expect(planned.written).toMatchObject({ runs: { updated: 1, unchanged: 1 }, points: 4, metrics: 2 });
    const grown = await importInto(await openTensorBoard(dir, { experiment: "tb-import" }), store);
    expect(grown.written).toEqual(planned.written);
    const train = find(await storedRuns(store), "tb-import/train");
    expect(train.series["train/loss"]!.steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(train.metrics["train/loss"]).toBe(0.25);
    if (store.capabilities.keepsTimes) expect(train.updateTime).toBe((T0 + 301) * 1000);
  });

  it("a truncated file keeps the points before the cut, and the warning names the file and byte offset", async () => {
    const dir = copyFixture("tensorboard/katib-tf2");
    const file = path.join(dir, "train", readdirSync(path.join(dir, "train"))[0]!);
    truncateSync(file, statSync(file).size - 10);
    const store = open();
    const summary = await importInto(await openTensorBoard(dir, { experiment: "katib" }), store);
    expect(summary.written.points).toBe(19);
    expect(summary.skipped).toEqual({ damagedRecords: 1 });
    expect(summary.warnings).toHaveLength(1);
    expect(summary.warnings[0]).toMatch(
      new RegExp(`^${file.replace(/[.]/g, "\\.")}: truncated record at byte \\d+`),
    );
    const [run] = await storedRuns(store);
    expect(run!.series.loss!.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run!.series.accuracy!.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(run!.series.loss!.values[0]).toBe(0.20479995);
    expect(run!.series.loss!.wallTimes[0]).toBe(1637681506036);
    expect(
      (await importInto(await openTensorBoard(dir, { experiment: "katib" }), store)).nothingToWrite,
    ).toBe(true);
  });

  it("imports the event files real tools wrote (Keras, PyTorch, Hugging Face, TF2, tensorboardX)", async () => {
    const dir = copyFixture("tensorboard");
    const store = open();
    const summary = await importInto(await openTensorBoard(dir, { experiment: "fixtures" }), store);
    expect(summary.written.runs.created).toBe(summary.runs);
    expect(summary.written.points).toBe(summary.points);
    const runs = await storedRuns(store);
    const stored = runs.reduce(
      (n, r) => n + Object.values(r.series).reduce((m, s) => m + s.steps.length, 0),
      0,
    );
    expect(stored).toBe(summary.points);
    const hf = find(runs, "fixtures/sktime-pytorch-hf-may02-18-42-06-macbook-local");
    expect(hf.metrics["train/train_loss"]).toBe(0.009155165);
    expect(
      (await importInto(await openTensorBoard(dir, { experiment: "fixtures" }), store)).nothingToWrite,
    ).toBe(true);
  });
});
