import { readFileSync } from "node:fs";
import path from "node:path";
import { createFileBackend } from "@exprun/backend-file";
import { Artifact, type Backend, ExperimentRun, type RunRecord } from "@exprun/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exprun, exprunJson, tempDir } from "./helpers/cli.js";
import { SEED } from "./helpers/memory-seed.mjs";
import { expectSameStores, seed } from "./helpers/seed.js";
import { type ExperimentSnapshot, snapshotStore } from "./helpers/snapshot.mjs";

interface Summary {
  experiments: { created: number; updated: number; unchanged: number };
  runs: { created: number; updated: number; unchanged: number };
  copied: Record<string, number>;
  warnings: string[];
}

const tmp = tempDir();
const sourceRoot = path.join(tmp.dir, "source");
const source = `file:${sourceRoot}`;
const MEMDUMP = new URL("./helpers/memory-dump.mjs", import.meta.url).href;
const MEMSEED = new URL("./helpers/memory-seed.mjs", import.meta.url).href;

async function withBackend<T>(root: string, body: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = createFileBackend({ root, fsync: false });
  try {
    return await body(backend);
  } finally {
    await backend.close?.();
  }
}

const snapshot = (root: string) => withBackend(root, snapshotStore);

beforeAll(async () => {
  await withBackend(sourceRoot, seed);
});
afterAll(() => tmp.remove());

describe("copy", () => {
  it("file → file reproduces every field of every run", async () => {
    const targetRoot = path.join(tmp.dir, "target");
    const dry = await exprunJson<Summary>([
      "copy",
      "--from",
      source,
      "--to",
      `file:${targetRoot}`,
      "--dry-run",
    ]);
    expect(await exprunJson(["experiments", "list", "--backend", `file:${targetRoot}`])).toEqual([]);
    const summary = await exprunJson<Summary>(["copy", "--from", source, "--to", `file:${targetRoot}`]);
    expect({ ...dry, dryRun: false, seconds: 0 }).toEqual({ ...summary, seconds: 0 });
    expect(summary.experiments).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect(summary.runs).toEqual({ created: 3, updated: 0, unchanged: 0 });
    expect(summary.copied).toMatchObject({ artifacts: 4, executions: 1, children: 1, tensorboards: 1 });
    expect(summary.warnings).toEqual([]);
    const expected = await snapshot(sourceRoot);
    // The seed really holds what the test claims to compare.
    const a = expected[0]!.runs[0]!;
    expect(a.timeSeries).toHaveLength(3);
    expect(a.classificationMetrics).toHaveLength(2);
    expect(a.executions).toHaveLength(1);
    expect(a.pipelineJobs).toHaveLength(1);
    expect(a.tensorboardRun).toContain("tensorboards/7");
    expectSameStores(await snapshot(targetRoot), expected);
  });

  // Each test copies into a target of its own (and the one that changes a source, into a source of its
  // own), so every test passes alone and in any order: they once built on each other's copies.
  it("copies nothing the second time", async () => {
    const targetRoot = path.join(tmp.dir, "target-again");
    expect((await exprun(["copy", "--from", source, "--to", `file:${targetRoot}`])).code).toBe(0);
    const summary = await exprunJson<Summary>(["copy", "--from", source, "--to", `file:${targetRoot}`]);
    expect(summary.experiments).toEqual({ created: 0, updated: 0, unchanged: 2 });
    expect(summary.runs).toEqual({ created: 0, updated: 0, unchanged: 3 });
    expect(Object.values(summary.copied).every((n) => n === 0)).toBe(true);
    const text = await exprun(["copy", "--from", source, "--to", `file:${targetRoot}`]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/│ runs\s+│\s+0 │\s+0 │\s+3 │/);
    expect(text.stdout).toContain("Copied 0 params, 0 metrics, 0 time-series points, 0 artifacts");
  });

  it("copies only what changed in the source since the last copy", async () => {
    const changedRoot = path.join(tmp.dir, "source-changed");
    const targetRoot = path.join(tmp.dir, "target-changed");
    expect((await exprun(["copy", "--from", source, "--to", `file:${changedRoot}`])).code).toBe(0);
    expect((await exprun(["copy", "--from", `file:${changedRoot}`, "--to", `file:${targetRoot}`])).code).toBe(
      0,
    );
    await withBackend(changedRoot, async (backend) => {
      const b = await ExperimentRun.get("trial-b", { backend, experiment: "exp-one" });
      await b.logMetrics({ accuracy: 0.5 });
      await b.logTimeSeriesMetrics({ loss: 2 }, { step: 3, wallTime: 1_700_000_000_000 });
      await b.updateState("COMPLETE");
      await b.logClassificationMetrics({ displayName: "late", labels: ["x"], matrix: [[1]] });
      await ExperimentRun.create("late-run", { backend, experiment: "exp-two" });
    });
    const changed = `file:${changedRoot}`;
    const dry = await exprunJson<Summary>(["copy", "--from", changed, "--to", `file:${targetRoot}`, "-n"]);
    expect(dry.runs).toEqual({ created: 1, updated: 1, unchanged: 2 });
    const summary = await exprunJson<Summary>(["copy", "--from", changed, "--to", `file:${targetRoot}`]);
    expect(summary.runs).toEqual({ created: 1, updated: 1, unchanged: 2 });
    expect(summary.copied).toEqual(dry.copied);
    expect(summary.copied).toMatchObject({
      metrics: 1,
      points: 1,
      states: 1,
      artifacts: 1,
      attributions: 1,
      params: 0,
      executions: 0,
    });
    expectSameStores(await snapshot(targetRoot), await snapshot(changedRoot));
  });

  it("file → memory reproduces every field of every run", async () => {
    const out = path.join(tmp.dir, "memdump.json");
    const result = await exprun(["copy", "--from", source, "--to", "memdump:", "--json"], {
      nodeArgs: ["--import", MEMDUMP],
      env: { EXPRUN_MEMDUMP_OUT: out },
    });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Summary).runs.created).toBe(3);
    expectSameStores(JSON.parse(readFileSync(out, "utf8")), await snapshot(sourceRoot));
  });

  // Guards against a copy giving every run the target's own times and system.ExperimentRun, and
  // dropping tags and the note.
  it("keeps run types, create and update times, tags and notes where the target keeps them", async () => {
    const records = path.join(tmp.dir, "memseed-records.json");
    const result = await exprun(["copy", "--from", "memseed:", "--to", "memdump:", "--json"], {
      nodeArgs: ["--import", MEMSEED, "--import", MEMDUMP],
      env: { EXPRUN_MEMDUMP_OUT: path.join(tmp.dir, "memseed.json"), EXPRUN_MEMDUMP_RECORDS: records },
    });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.runs.created).toBe(2);
    expect(summary.copied.points).toBe(2 * SEED.points);
    expect(summary.copied.tags).toBe(4);
    expect(summary.copied.notes).toBe(2);
    const copied = JSON.parse(readFileSync(records, "utf8")) as RunRecord[];
    expect(copied.map((r) => [r.name, r.runType, r.createTime, r.updateTime, r.tags, r.description])).toEqual(
      [
        [
          "legacy",
          "system.Run",
          SEED.created,
          SEED.updated,
          { team: "vision", origin: "legacy" },
          "the legacy run",
        ],
        [
          "modern",
          "system.ExperimentRun",
          SEED.created,
          SEED.updated,
          { team: "vision", origin: "modern" },
          "the modern run",
        ],
      ],
    );
  });

  // Guards against a NaN param copied to Vertex as {"numberValue": null} and counted as copied: the
  // copy goes through core's checks, and says which values the target cannot keep.
  it("leaves out values the target cannot keep, names them, and counts only what it wrote", async () => {
    const out = path.join(tmp.dir, "memdump-finite.json");
    const result = await exprun(["copy", "--from", source, "--to", "memdump-finite:", "--json"], {
      nodeArgs: ["--import", MEMDUMP],
      env: { EXPRUN_MEMDUMP_OUT: out },
    });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('exp-one/trial-a: param "weird" = NaN was not copied'),
        expect.stringContaining('exp-one/trial-a: metric "inf" = Infinity was not copied'),
      ]),
    );
    const copied = JSON.parse(readFileSync(out, "utf8")) as ExperimentSnapshot[];
    const trial = copied.find((e) => e.name === "exp-one")!.runs.find((r) => r.name === "trial-a")!;
    expect(trial.params).toEqual({ lr: 0.1, optimizer: "adam", layers: 4, shuffle: true });
    expect(trial.metrics).toEqual({ accuracy: 0.91, "unicode-ключ": "значение" });
  });

  it("copies to the memory: URI and limits itself to the named experiments", async () => {
    const all = await exprunJson<Summary>(["copy", "--from", source, "--to", "memory:"]);
    expect(all.runs.created).toBe(3);
    const one = await exprunJson<Summary>(["copy", "--from", source, "--to", "memory:", "-e", "exp-two"]);
    expect(one.experiments.created).toBe(1);
    expect(one.runs.created).toBe(1);
    const missing = await exprun(["copy", "--from", source, "--to", "memory:", "-e", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Experiment "nope" was not found');
  });

  it("keeps both artifacts when two stores use the same id for different ones, and stays incremental", async () => {
    const roots = ["laptop-a", "laptop-b"].map((name) => path.join(tmp.dir, name));
    for (const [i, root] of roots.entries()) {
      await withBackend(root, async (backend) => {
        const run = await ExperimentRun.create(`run-${i}`, { backend, experiment: "shared" });
        const model = await Artifact.create({
          backend,
          id: "model-1",
          schemaTitle: "system.Model",
          uri: `gs://b/model-${i}`,
        });
        await run.associateArtifacts([model]);
      });
    }
    const target = `file:${path.join(tmp.dir, "team")}`;
    for (const root of roots) {
      const summary = await exprunJson<Summary>(["copy", "--from", `file:${root}`, "--to", target]);
      expect(summary.copied.artifacts).toBe(1);
    }
    const again = await exprunJson<Summary>(["copy", "--from", `file:${roots[1]}`, "--to", target]);
    expect(again.runs).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(again.copied.artifacts).toBe(0);
    const team = await snapshot(path.join(tmp.dir, "team"));
    const artifacts = team[0]!.runs.map((r) => r.artifacts.map((a) => [a.id, a.uri]));
    expect(artifacts[0]).toEqual([["model-1", "gs://b/model-0"]]);
    expect(artifacts[1]![0]![0]).toMatch(/^model-1-[0-9a-f]{10}$/);
    expect(artifacts[1]![0]![1]).toBe("gs://b/model-1");
  });

  it("skips time series a TensorBoard-bound target cannot take without one, and says why", async () => {
    const root = path.join(tmp.dir, "no-tensorboard");
    await withBackend(root, async (backend) => {
      const run = await ExperimentRun.create("plain", { backend, experiment: "no-board" });
      await run.logParams({ lr: 0.1 });
      await run.logTimeSeriesMetrics({ loss: 1 }, { step: 1 });
    });
    const out = path.join(tmp.dir, "memdump-tb.json");
    const result = await exprun(["copy", "--from", `file:${root}`, "--to", "memdump-tb:", "--json"], {
      nodeArgs: ["--import", MEMDUMP],
      env: { EXPRUN_MEMDUMP_OUT: out },
    });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.copied).toMatchObject({ params: 1, points: 0 });
    expect(summary.warnings).toEqual([
      expect.stringContaining("Time series of no-board/plain were not copied"),
    ]);
    const [experiment] = JSON.parse(readFileSync(out, "utf8")) as ExperimentSnapshot[];
    expect(experiment!.runs[0]).toMatchObject({ name: "plain", params: { lr: 0.1 }, timeSeries: [] });
  });

  it("needs --from and --to", async () => {
    const result = await exprun(["copy", "--from", source]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("required option '--to <uri>' not specified");
  });
});
