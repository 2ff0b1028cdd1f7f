import { appendFileSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openTensorBoard, planImport, UnsupportedSourceError } from "../src/index.js";
import { decodeHParams } from "../src/tensorboard/proto.js";
import {
  fileVersion,
  frame,
  graph,
  histogram,
  hparamsEnd,
  hparamsStart,
  image,
  simpleScalar,
  simpleScalars,
  tensorScalar,
  text,
  writeEventFile,
} from "./generators/tfevents.js";
import { collect, copyFixture, fingerprint, tempDir } from "./helpers.js";

const open = (dir: string, experiment = "tb-import", extra = {}) =>
  openTensorBoard(dir, { experiment, ...extra });

describe("TensorBoard event files written by real tools", () => {
  it("reads TF2 tf.summary.scalar tensors (katib): loss and accuracy at steps 0-9", async () => {
    const dir = copyFixture("tensorboard/katib-tf2");
    const before = fingerprint(dir);
    const source = await open(dir);
    const [run, ...rest] = await collect(source);
    expect(rest).toEqual([]);
    expect(run!.name).toBe("train");
    expect(run!.seriesKeys).toEqual(["loss", "accuracy"]);
    expect(run!.series.loss!.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run!.series.accuracy!.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // float32 values are given as the shortest decimal of the same float32, as TensorBoard prints them
    expect(run!.series.loss!.values[0]).toBe(0.20479995);
    expect(run!.series.accuracy!.values[0]).toBe(0.9404);
    expect(run!.metrics).toEqual({
      loss: run!.series.loss!.values[9],
      accuracy: run!.series.accuracy!.values[9],
    });
    // wall times: seconds → ms
    expect(run!.series.loss!.wallTimes[0]).toBe(1637681506036);
    expect(run!.series.loss!.wallTimes.every((t, i, a) => i === 0 || t >= a[i - 1]!)).toBe(true);
    expect(run!.state).toBe("COMPLETE");
    expect(run!.createTime).toBe(1637681485000);
    expect(run!.updateTime).toBe(
      Math.max(...run!.series.loss!.wallTimes, ...run!.series.accuracy!.wallTimes),
    );
    expect(source.report.warnings).toEqual([]);
    expect(fingerprint(dir)).toEqual(before);
  });

  it("reads Keras simple_value scalars and counts graphs (wandb's fixtures)", async () => {
    const dir = copyFixture("tensorboard/wandb-tests");
    // One file per run folder, to count each file's content.
    mkdirSync(path.join(dir, "a"));
    mkdirSync(path.join(dir, "b"));
    renameSync(
      path.join(dir, "events.out.tfevents.111.test.localdomain"),
      path.join(dir, "a", "events.out.tfevents.111.test.localdomain"),
    );
    renameSync(
      path.join(dir, "events.out.tfevents.1585769947.cvp"),
      path.join(dir, "b", "events.out.tfevents.1585769947.cvp"),
    );
    const source = await open(dir);
    const [a, b] = await collect(source);
    expect(a!.name).toBe("a");
    expect(Object.keys(a!.series)).toHaveLength(4);
    expect(a!.seriesKeys).toContain("epoch_loss");
    expect(a!.seriesKeys).toContain("epoch_val_acc");
    for (const s of Object.values(a!.series)) expect(s.steps).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Object.keys(b!.series)).toHaveLength(6);
    for (const s of Object.values(b!.series)) expect(s.steps).toHaveLength(17);
    expect(source.report.skipped).toEqual({ graphs: 2, metaGraphs: 2 });
  });

  it("reads the Hugging Face Trainer's file: 6 scalars at step 3, its 2 text tensors skipped", async () => {
    const dir = copyFixture("tensorboard/sktime-pytorch-hf");
    const source = await open(dir);
    const plan = await planImport(source);
    expect(plan.runs).toBe(1);
    expect(plan.points).toBe(6);
    expect(plan.mapping.runs[0]!.to).toBe("may02-18-42-06-macbook-local");
    expect(plan.mapping.runs[0]!.from).toBe("May02_18-42-06_macbook.local");
    expect(plan.skipped).toEqual({ text: 2 });
    const [run] = await collect(await open(dir));
    expect(run!.metrics["train/train_loss"]).toBe(0.009155165);
    for (const s of Object.values(run!.series)) expect(s.steps).toEqual([3]);
  });

  it("decodes hparams plugin data as tensorboardX writes it (session_start_info, session_end_info)", () => {
    const expect1 = readFileSync(
      path.join(
        import.meta.dirname,
        "fixtures/tensorboard/tensorboardX-expect/test_summary.test_hparams.expect",
      ),
      "utf8",
    );
    const expect2 = readFileSync(
      path.join(
        import.meta.dirname,
        "fixtures/tensorboard/tensorboardX-expect/test_summary.test_hparams_bool.expect",
      ),
      "utf8",
    );
    const contents = (textFormat: string) =>
      [...textFormat.matchAll(/content: "((?:[^"\\]|\\.)*)"/g)].map((m) => unescapeC(m[1]!));
    const [, start, end] = contents(expect1);
    expect(decodeHParams(start!).session_start_info!.hparams.lr!.number_value).toBe(0.1);
    expect(decodeHParams(end!).session_end_info!.status).toBe(1);
    const [, startBool] = contents(expect2);
    expect(decodeHParams(startBool!).session_start_info!.hparams.bool_var!.bool_value).toBe(true);
  });
});

/** Bytes of a C-escaped text-format string (`\022`, `\n`, `\"`, …). */
function unescapeC(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") {
      out.push(s.charCodeAt(i));
      continue;
    }
    const c = s[++i]!;
    if (/[0-7]/.test(c)) {
      let oct = c;
      while (oct.length < 3 && /[0-7]/.test(s[i + 1] ?? "")) oct += s[++i];
      out.push(Number.parseInt(oct, 8));
    } else out.push({ n: 10, t: 9, r: 13, '"': 34, "'": 39, "\\": 92 }[c] ?? c.charCodeAt(0));
  }
  return Uint8Array.from(out);
}

describe("generated event files", () => {
  it("keeps step, wall time (s → ms) and value of every scalar form: simple_value, float_val, double_val, tensor_content", async () => {
    const dir = tempDir();
    writeEventFile(path.join(dir, "events.out.tfevents.1700000000.host.1.0.v2"), [
      fileVersion(1_700_000_000),
      simpleScalar(1_700_000_001.25, 1, "simple", 0.5),
      tensorScalar(1_700_000_002, 2, "tf2/float", 0.1, "float_val"),
      tensorScalar(1_700_000_003, 3, "tf2/float", 0.2, "float_val", false), // metadata only on the first
      tensorScalar(1_700_000_004, 4, "tf2/double", 0.123456789012, "double_val"),
      tensorScalar(1_700_000_005, 5, "tf2/packed-float", 2.5, "float_content"),
      tensorScalar(1_700_000_006, 6, "tf2/packed-double", 1e-300, "double_content"),
      simpleScalar(1_700_000_007, 7, "simple", 0),
      simpleScalar(1_700_000_008, 8, "simple", Number.NaN),
      simpleScalar(1_700_000_009, 9, "simple", Number.POSITIVE_INFINITY),
    ]);
    const [run] = await collect(await open(dir));
    expect(run!.series.simple).toEqual({
      steps: [1, 7, 8, 9],
      wallTimes: [1_700_000_001_250, 1_700_000_007_000, 1_700_000_008_000, 1_700_000_009_000],
      values: [0.5, 0, Number.NaN, Number.POSITIVE_INFINITY],
    });
    expect(run!.series["tf2/float"]!.values).toEqual([0.1, 0.2]);
    expect(run!.series["tf2/double"]!.values).toEqual([0.123456789012]);
    expect(run!.series["tf2/packed-float"]!.values).toEqual([2.5]);
    expect(run!.series["tf2/packed-double"]!.values).toEqual([1e-300]);
    expect(run!.seriesKeys).toEqual([
      "simple",
      "tf2/float",
      "tf2/double",
      "tf2/packed-float",
      "tf2/packed-double",
    ]);
  });

  it("reads CatBoost's bare events.out.tfevents with no file_version and whole-second wall times", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "catboost_info", "learn"), { recursive: true });
    writeEventFile(
      path.join(dir, "catboost_info", "learn", "events.out.tfevents"),
      Array.from({ length: 5 }, (_, i) => simpleScalar(1_700_000_000 + i, i, "RMSE", 1 / (i + 1))),
    );
    const [run] = await collect(await open(dir));
    expect(run!.name).toBe("catboost-info-learn");
    expect(run!.sourceName).toBe("catboost_info/learn");
    expect(run!.series.RMSE!.steps).toEqual([0, 1, 2, 3, 4]);
    expect(run!.series.RMSE!.wallTimes).toEqual([0, 1, 2, 3, 4].map((i) => (1_700_000_000 + i) * 1000));
  });

  it("turns hparams session_start_info into params and session_end_info's status into the state", async () => {
    const dir = tempDir();
    writeEventFile(path.join(dir, "events.out.tfevents.1.h"), [
      hparamsStart(1_700_000_000, { lr: 0.01, optimizer: "adam", dropout: true, layers: 3 }),
      simpleScalar(1_700_000_001, 1, "accuracy", 0.75),
      hparamsEnd(1_700_000_002, 2),
    ]);
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.params).toEqual({ lr: 0.01, optimizer: "adam", dropout: true, layers: 3 });
    expect(run!.state).toBe("FAILED");
    expect(run!.metrics).toEqual({ accuracy: 0.75 });
    expect(source.report.warnings).toEqual([]);
  });

  it("skips images, histograms, text and graphs, and counts them by kind", async () => {
    const dir = tempDir();
    writeEventFile(path.join(dir, "events.out.tfevents.1.h"), [
      fileVersion(1),
      graph(2),
      image(3, 1, "input"),
      image(3, 2, "input"),
      histogram(4, 1, "weights"),
      text(5, 1, "args", "lr=0.1"),
      simpleScalar(6, 1, "loss", 1),
    ]);
    const source = await open(dir);
    const plan = await planImport(source);
    expect(plan.points).toBe(1);
    expect(plan.skipped).toEqual({ graphs: 1, images: 2, histograms: 1, text: 1 });
  });

  it("keeps, of several points at one step, the one with the latest wall time (ties: the later record)", async () => {
    const dir = tempDir();
    writeEventFile(path.join(dir, "events.out.tfevents.1.h"), [
      simpleScalar(100, 1, "loss", 1),
      simpleScalar(101, 2, "loss", 2),
      simpleScalar(99, 1, "loss", 10), // older wall time at step 1: loses
      simpleScalar(101, 2, "loss", 20), // same wall time at step 2: the later record wins
      simpleScalar(102, 0, "loss", 30), // a restart from step 0
    ]);
    const [run] = await collect(await open(dir));
    expect(run!.series.loss).toEqual({
      steps: [0, 1, 2],
      wallTimes: [102_000, 100_000, 101_000],
      values: [30, 1, 20],
    });
    expect(run!.metrics.loss).toBe(20);
  });

  it("reads all event files of a run folder in name order, and names nested runs by their relative path", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "exp 1", "train"), { recursive: true });
    mkdirSync(path.join(dir, "exp 1", "validation"), { recursive: true });
    writeEventFile(path.join(dir, "exp 1", "train", "events.out.tfevents.1.h"), [
      simpleScalar(1, 1, "loss", 1),
    ]);
    writeEventFile(path.join(dir, "exp 1", "train", "events.out.tfevents.2.h"), [
      simpleScalar(2, 2, "loss", 2),
    ]);
    writeEventFile(path.join(dir, "exp 1", "validation", "events.out.tfevents.1.h"), [
      simpleScalar(1, 1, "loss", 3),
    ]);
    writeFileSync(path.join(dir, "exp 1", "notes.txt"), "not an event file");
    const runs = await collect(await open(dir));
    expect(runs.map((r) => [r.name, r.sourceName])).toEqual([
      ["exp-1-train", "exp 1/train"],
      ["exp-1-validation", "exp 1/validation"],
    ]);
    expect(runs[0]!.series.loss!.steps).toEqual([1, 2]);
  });

  it("skips negative steps with a warning naming the file", async () => {
    const dir = tempDir();
    const file = path.join(dir, "events.out.tfevents.1.h");
    writeEventFile(file, [simpleScalar(1, -5n, "loss", 1), simpleScalar(2, 1, "loss", 2)]);
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toEqual([1]);
    expect(source.report.skipped).toEqual({ invalidSteps: 1 });
    expect(source.report.warnings[0]).toContain(file);
  });
});

describe("damaged event files", () => {
  const events = Array.from({ length: 10 }, (_, i) => simpleScalar(1_700_000_000 + i, i, "loss", i));

  it("a truncated file keeps every record before the cut and warns with the file and byte offset", async () => {
    const dir = tempDir();
    const file = path.join(dir, "events.out.tfevents.1.h");
    const { offsets, bytes } = writeEventFile(file, events);
    truncateSync(file, offsets[7]! + 20); // inside record 7
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(source.report.warnings).toEqual([
      expect.stringContaining(`${file}: truncated record at byte ${offsets[7]}`),
    ]);
    expect(bytes.length).toBeGreaterThan(offsets[7]! + 20);
  });

  it("a file cut inside a record header keeps what came before", async () => {
    const dir = tempDir();
    const file = path.join(dir, "events.out.tfevents.1.h");
    const { offsets } = writeEventFile(file, events);
    truncateSync(file, offsets[9]! + 5);
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toHaveLength(9);
    expect(source.report.warnings[0]).toContain(`truncated record at byte ${offsets[9]}`);
  });

  it("a record whose data fails its CRC is skipped and the records after it are kept", async () => {
    const dir = tempDir();
    const file = path.join(dir, "events.out.tfevents.1.h");
    const { offsets, bytes } = writeEventFile(file, events);
    bytes[offsets[4]! + 14]! ^= 0xff; // a data byte of record 4
    writeFileSync(file, bytes);
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(source.report.warnings).toEqual([
      `${file}: damaged record data at byte ${offsets[4]} (CRC mismatch); record skipped`,
    ]);
    expect(source.report.skipped).toEqual({ damagedRecords: 1 });
  });

  it("a damaged length is detected by its CRC and reading resumes at the next valid record", async () => {
    const dir = tempDir();
    const file = path.join(dir, "events.out.tfevents.1.h");
    const { offsets, bytes } = writeEventFile(file, events);
    bytes[offsets[3]! + 1]! ^= 0x40; // the length of record 3
    writeFileSync(file, bytes);
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(source.report.warnings[0]).toBe(
      `${file}: damaged record header at byte ${offsets[3]} (CRC mismatch); skipped ${offsets[4]! - offsets[3]!} bytes to the next valid record at byte ${offsets[4]}`,
    );
  });

  it("garbage appended after the last record is reported, and every record is kept", async () => {
    const dir = tempDir();
    const file = path.join(dir, "events.out.tfevents.1.h");
    const { bytes } = writeEventFile(file, events);
    appendFileSync(file, new Uint8Array(100).fill(0));
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toHaveLength(10);
    expect(source.report.warnings[0]).toContain(`damaged record header at byte ${bytes.length}`);
  });

  it("a record with valid CRCs that is not an Event is counted, not fatal", async () => {
    const dir = tempDir();
    const file = path.join(dir, "events.out.tfevents.1.h");
    writeEventFile(file, [events[0]!, new Uint8Array([0xff, 0xff, 0xff]), events[1]!]);
    const source = await open(dir);
    const [run] = await collect(source);
    expect(run!.series.loss!.steps).toEqual([0, 1]);
    expect(source.report.skipped).toEqual({ undecodableRecords: 1 });
  });
});

describe("input that is not a TensorBoard log directory", () => {
  it("a folder with no event files is an UnsupportedSourceError saying what was expected", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "events.txt"), "no");
    await expect(open(dir)).rejects.toThrow(UnsupportedSourceError);
    await expect(open(dir)).rejects.toThrow(/No event files under .*Expected a TensorBoard log directory/);
  });

  it("a missing path or a file is an UnsupportedSourceError", async () => {
    const dir = tempDir();
    await expect(open(path.join(dir, "missing"))).rejects.toThrow(/is not a directory/);
    const file = path.join(dir, "events.out.tfevents.1.h");
    writeFileSync(file, frame(simpleScalar(1, 1, "a", 1)));
    await expect(open(file)).rejects.toThrow(UnsupportedSourceError);
  });
});

describe("long series", () => {
  it("a series longer than the memory budget is spilled and merged: same points as in memory", async () => {
    const dir = tempDir();
    const n = 20_000;
    const evs: Uint8Array[] = [];
    for (let i = 0; i < n; i++)
      evs.push(simpleScalars(1_700_000_000 + i / 1000, n - 1 - (i % n), { a: i, b: -i }));
    writeEventFile(path.join(dir, "events.out.tfevents.1.h"), evs);
    const small = await collect(await open(dir, "tb-import", { memoryPoints: 3_000, chunkSize: 1_000 }));
    const big = await collect(await open(dir));
    expect(small[0]!.series).toEqual(big[0]!.series);
    expect(small[0]!.series.a!.steps).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(small[0]!.series.a!.values[0]).toBe(n - 1);
  }, 60_000);
});

describe("files tensorboardX 2.6.5 wrote, checked against TensorBoard 2.21's own reader", () => {
  // fixtures/tensorboard/tensorboardx-local: write.py wrote logs/ with tensorboardX; read.py wrote
  // expected.json with tensorboard's EventAccumulator (every scalar as [step, wall ms, repr(value)]).
  it("gives the same scalars (one per step, the later), hparams as params, add_scalars sub-runs, skips counted", async () => {
    const dir = copyFixture("tensorboard/tensorboardx-local");
    const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")) as Record<
      string,
      { scalars: Record<string, [number, number, string][]> }
    >;
    const source = await open(path.join(dir, "logs"));
    const runs = await collect(source);
    expect(runs.map((r) => r.sourceId).sort()).toEqual(Object.keys(expected).sort());
    for (const run of runs) {
      const want = expected[run.sourceId]!.scalars;
      expect(Object.keys(run.series).sort()).toEqual(Object.keys(want).sort());
      for (const [tag, points] of Object.entries(want)) {
        const byStep = new Map(points.map((p) => [p[0], p] as const)); // TensorBoard keeps all; the later wins
        const settled = [...byStep.values()].sort((a, b) => a[0] - b[0]);
        const python = (repr: string) =>
          repr === "nan" ? Number.NaN : repr === "inf" ? Infinity : Number(repr);
        expect(run.series[tag]!.steps).toEqual(settled.map((p) => p[0]));
        expect(run.series[tag]!.wallTimes).toEqual(settled.map((p) => p[1]));
        expect(run.series[tag]!.values.map((v) => Math.fround(v))).toEqual(
          settled.map((p) => Math.fround(python(p[2]))),
        );
      }
    }
    const main = runs.find((r) => r.sourceId === "run-a")!;
    expect(main.series["train/loss"]!.values[2]).toBe(0.5); // step 10 logged twice: the later value
    expect(main.series["train/acc"]!.values[1]).toBe(0.1);
    const hparams = runs.find((r) => r.sourceId.startsWith("run-a/17"))!;
    expect(hparams.params).toEqual({ lr: 0.01, opt: "adam", bn: true });
    expect(hparams.metrics).toEqual({ "hparam/acc": 0.9 });
    expect(source.report.skipped).toEqual({ text: 1, histograms: 1, images: 1, hparamsConfigs: 1 });
    expect(source.report.warnings).toEqual([]);
  });
});

describe("files TensorFlow 2.21 wrote (tf.summary, the hparams API), checked against TensorBoard's own reader", () => {
  // fixtures/tensorboard/tf2-local: write.py wrote logs/ with tensorflow-cpu 2.21; read.py wrote
  // expected.json with tensorboard's EventAccumulator ("scalars"-plugin tensors as [step, wall ms, repr]).
  it("gives the same scalar tensors, hparams.hparams() as params, text/image/histogram counted", async () => {
    const dir = copyFixture("tensorboard/tf2-local");
    const expected = JSON.parse(readFileSync(path.join(dir, "expected.json"), "utf8")) as Record<
      string,
      { scalars: Record<string, [number, number, string][]> }
    >;
    const source = await open(path.join(dir, "logs"));
    const runs = await collect(source);
    expect(runs.map((r) => r.sourceId)).toEqual(["hparams-run", "train"]);
    for (const run of runs) {
      const want = expected[run.sourceId]!.scalars;
      expect(Object.keys(run.series).sort()).toEqual(Object.keys(want).sort());
      for (const [tag, points] of Object.entries(want)) {
        expect(run.series[tag]!.steps).toEqual(points.map((p) => p[0]));
        expect(run.series[tag]!.wallTimes).toEqual(points.map((p) => p[1]));
        expect(run.series[tag]!.values.map((v) => Math.fround(v))).toEqual(
          points.map((p) => Math.fround(Number(p[2]))),
        );
      }
    }
    expect(runs[0]!.params).toEqual({ learning_rate: 0.001, optimizer: "adam", dropout: true, units: 64 });
    expect(runs[1]!.metrics).toEqual({ loss: 0.125, "epoch/accuracy": 0.875, double: 0.1 });
    expect(source.report.skipped).toEqual({ text: 1, images: 1, histograms: 1 });
    expect(source.report.warnings).toEqual([]);
  });
});
