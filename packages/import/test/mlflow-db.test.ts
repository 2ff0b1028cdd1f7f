import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import initSqlJs from "sql.js";
import { describe, expect, it } from "vitest";
import { openMlflow, planImport, UnsupportedSourceError } from "../src/index.js";
import { writeMlflowDb } from "./generators/mlflow.js";
import { collect, fingerprint, tempDir } from "./helpers.js";

const id = (n: number) => n.toString(16).padStart(32, "a");

async function sampleDb(dir: string): Promise<string> {
  const file = path.join(dir, "mlflow.db");
  await writeMlflowDb(
    file,
    [
      {
        id: "0",
        name: "Default",
        tags: { "mlflow.note.content": "default experiment" },
        runs: [
          {
            id: id(1),
            name: "calm-owl-3",
            status: 3,
            start: 1_700_000_000_000,
            end: 1_700_000_009_000,
            params: { lr: "0.01", epochs: "10", kind: "cnn" },
            tags: {
              "mlflow.user": "bo",
              "mlflow.note.content": "**markdown** note",
              "mlflow.parentRunId": id(9),
            },
            points: [
              { key: "loss", value: 2, timestamp: 1_700_000_001_000, step: 0 },
              { key: "loss", value: 1, timestamp: 1_700_000_002_000, step: 1 },
              { key: "loss", value: 9, timestamp: 1_700_000_001_500, step: 1 }, // older: loses
              { key: "acc", value: Number.NaN, timestamp: 1_700_000_001_000, step: 0 },
              { key: "acc", value: Number.POSITIVE_INFINITY, timestamp: 1_700_000_002_000, step: 1 },
              { key: "acc", value: Number.NEGATIVE_INFINITY, timestamp: 1_700_000_003_000, step: 2 },
            ],
            inputs: 2,
          },
          { id: id(2), name: "failed-one", status: 4, start: 1_700_000_100_000 },
          { id: id(3), name: "killed-one", status: 5, start: 1_700_000_200_000 },
          { id: id(4), name: "deleted-one", status: 3, deleted: true, start: 1_700_000_300_000 },
          { id: id(5), legacy: true, status: 1, start: 1_700_000_400_000, end: null },
        ],
      },
      { id: "1", name: "Old Stuff", deleted: true, runs: [{ id: id(6), name: "old-run" }] },
      {
        id: "2",
        name: "GenAI App",
        loggedModels: 2,
        traces: 4,
        runs: [{ id: id(7), name: "scheduled", status: 2 }],
      },
    ],
    { registeredModels: 1 },
  );
  return file;
}

describe("mlflow.db (MLflow's SQLite store) through sql.js", () => {
  it("maps experiments, runs, params, tags, note, states, times and every metric point", async () => {
    const dir = tempDir();
    const file = await sampleDb(dir);
    const before = fingerprint(dir);
    const source = await openMlflow(file);
    expect(source.runCount).toBe(5);
    const runs = await collect(source);
    expect(runs.map((r) => [r.experiment.name, r.name, r.state])).toEqual([
      ["default", "calm-owl-3", "COMPLETE"],
      ["default", "failed-one", "FAILED"],
      ["default", "killed-one", "CANCELLED"],
      ["default", id(5), "RUNNING"],
      ["genai-app", "scheduled", "NEW"],
    ]);
    const owl = runs[0]!;
    expect(owl.experiment.description).toBe("default experiment");
    expect(owl.params).toEqual({ lr: 0.01, epochs: 10, kind: "cnn" });
    expect(owl.tags).toEqual({
      "mlflow.user": "bo",
      "mlflow.parentRunId": id(9),
      "mlflow.runName": "calm-owl-3",
    });
    expect(owl.description).toBe("**markdown** note");
    expect(owl.series.loss).toEqual({
      steps: [0, 1],
      wallTimes: [1_700_000_001_000, 1_700_000_002_000],
      values: [2, 1],
    });
    // NaN is is_nan = 1; ±Infinity was stored as ±max float64 and comes back as ±Infinity
    expect(owl.series.acc!.values).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(owl.metrics).toEqual({ loss: 1, acc: Number.NEGATIVE_INFINITY });
    expect(owl.createTime).toBe(1_700_000_000_000);
    expect(owl.updateTime).toBe(1_700_000_009_000);
    expect(owl.location).toBe(`${file}#${id(1)}`);
    expect(runs[3]!.updateTime).toBe(1_700_000_400_000);
    expect(source.report.skipped).toEqual({
      registeredModels: 1,
      loggedModels: 2,
      traces: 4,
      deletedExperiments: 1,
      deletedRuns: 1,
      runInputs: 2,
    });
    expect(fingerprint(dir)).toEqual(before);
  });

  it("--include-deleted brings deleted experiments and runs", async () => {
    const dir = tempDir();
    const plan = await planImport(await openMlflow(await sampleDb(dir), { includeDeleted: true }));
    expect(plan.runs).toBe(7);
    expect(plan.mapping.experiments.map((e) => e.to)).toEqual(["default", "old-stuff", "genai-app"]);
    expect(plan.points).toBe(5);
  });

  it("a folder holding mlflow.db opens it", async () => {
    const dir = tempDir();
    await sampleDb(dir);
    const source = await openMlflow(dir);
    expect(source.path).toBe(path.join(dir, "mlflow.db"));
    await source.close();
  });

  it("a file that is not SQLite, or SQLite without MLflow's tables, is an UnsupportedSourceError", async () => {
    const dir = tempDir();
    const text = path.join(dir, "notes.db");
    writeFileSync(text, "hello");
    await expect(openMlflow(text)).rejects.toThrow(UnsupportedSourceError);
    await expect(openMlflow(text)).rejects.toThrow(/is not a SQLite database\. Expected an MLflow store/);
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run("CREATE TABLE things (a INTEGER)");
    const other = path.join(dir, "other.db");
    writeFileSync(other, db.export());
    db.close();
    await expect(openMlflow(other)).rejects.toThrow(/without MLflow's "experiments" table/);
  });

  // sql.js throws SQLite's errors as plain Errors: the CLI called them unexpected (exit 2) and named
  // no file. A damaged or half-copied mlflow.db is input the importer cannot read: typed, with the file.
  it("a damaged or half-copied mlflow.db is an UnsupportedSourceError naming the file", async () => {
    const dir = tempDir();
    const whole = path.join(dir, "mlflow.db");
    const points = Array.from({ length: 200 }, (_, step) => ({
      key: "loss",
      value: step,
      timestamp: 1.7e12 + step,
      step,
    }));
    await writeMlflowDb(whole, [
      {
        id: "0",
        name: "Default",
        runs: Array.from({ length: 40 }, (_, i) => ({
          id: (i + 1).toString(16).padStart(32, "0"),
          name: `r${i}`,
          status: 3,
          points,
        })),
      },
    ]);
    const bytes = readFileSync(whole);
    const header = path.join(dir, "header-only.db");
    writeFileSync(header, Buffer.concat([bytes.subarray(0, 100), Buffer.alloc(4000, 0xa5)]));
    const rotten = path.join(dir, "rotten.db");
    const scrambled = Buffer.from(bytes);
    for (let at = 4096; at < scrambled.length; at += 7) scrambled[at] = (scrambled[at]! * 31 + 7) & 0xff;
    writeFileSync(rotten, scrambled);
    for (const file of [header, rotten]) {
      const read = (async () => collect(await openMlflow(file)))();
      await expect(read, file).rejects.toThrow(UnsupportedSourceError);
      await expect(read, file).rejects.toThrow(`${file}: SQLite could not read it`);
    }
  });
});
