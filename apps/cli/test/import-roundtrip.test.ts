import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type CheckedBackend, collectPages, openBackend, type Value } from "@exprun/core";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The Vertex store and its fake are not dependencies of the CLI; the test loads the workspace's builds.
import { createVertexBackend } from "../../../packages/backend-vertex/dist/index.js";
import { startVertexFake, type VertexFake } from "../../../packages/vertex-fake/dist/index.js";
import { exprun, exprunJson, type Result, tempDir } from "./helpers/cli.js";

// The round trip of issue 15: runs of MLflow, TensorBoard and W&B imported into a file store with
// `exprun import`, then `exprun copy` (the real binary, as a subprocess) to S3 (s3rver, a real S3 HTTP
// server) and to Vertex (the local gRPC fake, through the real client): the data arrives.

const BUCKET = "exprun-import";
const PROJECT = "test-project";
const LOCATION = "us-central1";
const VERTEX_PLUGIN = path.resolve(import.meta.dirname, "helpers/vertex-fake-plugin.mjs");
const T0 = 1_700_000_000_000;
const S3_ENV = {
  AWS_ACCESS_KEY_ID: "S3RVER", // s3rver's built-in account
  AWS_SECRET_ACCESS_KEY: "S3RVER",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

const tmp = tempDir("exprun-cli-import-roundtrip-");
const laptop = `file:${path.join(tmp.dir, "laptop")}`;
let server: S3rver;
let s3Uri: string;
let fake: VertexFake;
let vertexEnv: Record<string, string>;

interface Summary {
  nothingToWrite: boolean;
  timesKept: boolean;
  runs: number;
  points: number;
  written: { runs: { created: number; updated: number; unchanged: number }; points: number };
  warnings: string[];
}

interface Snapshot {
  run: string;
  runType: string;
  state: string;
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  tags: Record<string, string>;
  description: string;
  createTime: number;
  updateTime: number;
  series: Record<string, { steps: number[]; wallTimes: number[]; values: number[] }>;
}

/** Every run of a store (experiment/run → its fields and series), read through core. */
async function snapshot(backend: CheckedBackend): Promise<Map<string, Snapshot>> {
  const out = new Map<string, Snapshot>();
  for (const experiment of await collectPages((page) => backend.listExperiments(page))) {
    for (const run of await collectPages((page) => backend.listRuns(experiment.name, page))) {
      const series: Snapshot["series"] = {};
      for await (const chunk of backend.readSeries({ experiment: run.experiment, run: run.name })) {
        series[chunk.metric] ??= { steps: [], wallTimes: [], values: [] };
        const s = series[chunk.metric]!;
        s.steps.push(...chunk.steps);
        s.wallTimes.push(...chunk.wallTimes);
        s.values.push(...chunk.values);
      }
      const { runType, state, params, metrics, tags, description, createTime, updateTime } = run;
      out.set(`${run.experiment}/${run.name}`, {
        run: run.name,
        runType,
        state,
        params,
        metrics,
        tags,
        description,
        createTime,
        updateTime,
        series,
      });
    }
  }
  return out;
}

async function opened<T>(
  backend: CheckedBackend | Promise<CheckedBackend>,
  read: (b: CheckedBackend) => Promise<T>,
) {
  const b = await backend;
  try {
    return await read(b);
  } finally {
    await b.close?.();
  }
}

const fileStore = () => openBackend(laptop, { importer: (pkg) => import(pkg) });
const vertexStore = () =>
  createVertexBackend({
    project: PROJECT,
    location: LOCATION,
    ...fake.clientOptions(),
    retry: { initialDelayMs: 2, maxDelayMs: 200 },
  });

/** The real files @exprun/import's tests use (provenance in NOTICE.md beside them). */
const FIXTURES = path.resolve(import.meta.dirname, "../../../packages/import/test/fixtures");

/** Writes one MLflow FileStore file (keys with `/` are folders, as MLflow writes them). */
function put(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/**
 * The three sources: an mlruns folder written here as MLflow's FileStore lays it out, and the event
 * file (TF2, katib) and W&B offline run (wandb 0.30) that the real tools wrote.
 */
function writeSources(): { mlruns: string; logdir: string; wandb: string } {
  const mlruns = path.join(tmp.dir, "mlruns");
  const exp = path.join(mlruns, "0");
  put(
    path.join(exp, "meta.yaml"),
    "artifact_location: file:///x\ncreation_time: 1700000000000\nexperiment_id: '0'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: Default\n",
  );
  put(path.join(exp, "tags", "mlflow.note.content"), "experiments of the laptop");
  const runs = [
    { id: "a".repeat(32), name: "bright-fox-1", status: 3, start: T0, end: T0 + 60_000 },
    { id: "b".repeat(32), name: "killed", status: 5, start: T0 + 100_000, end: T0 + 101_000 },
  ];
  for (const run of runs) {
    const dir = path.join(exp, run.id);
    put(
      path.join(dir, "meta.yaml"),
      `artifact_uri: file:///x/${run.id}/artifacts\nend_time: ${run.end}\nexperiment_id: '0'\nlifecycle_stage: active\n` +
        `run_id: ${run.id}\nrun_name: ${run.name}\nrun_uuid: ${run.id}\nstart_time: ${run.start}\nstatus: ${run.status}\nuser_id: ana\n`,
    );
    put(path.join(dir, "tags", "mlflow.runName"), run.name);
    put(path.join(dir, "tags", "mlflow.user"), "ana");
  }
  const fox = path.join(exp, runs[0]!.id);
  put(path.join(fox, "params", "lr"), "0.001");
  put(path.join(fox, "params", "optimizer"), "adam");
  put(path.join(fox, "tags", "team"), "vision");
  put(path.join(fox, "tags", "mlflow.note.content"), "first try");
  put(
    path.join(fox, "metrics", "loss"),
    Array.from({ length: 50 }, (_, s) => `${T0 + 1000 + s} ${1 / (s + 1)} ${s}\n`).join(""),
  );
  // A NaN summary (the latest point), which Vertex cannot keep as a metric.
  put(path.join(fox, "metrics", "odd"), `${T0 + 2000} 0.5 0\n${T0 + 2001} nan 1\n`);
  const logdir = path.join(tmp.dir, "tb");
  cpSync(path.join(FIXTURES, "tensorboard/katib-tf2"), logdir, { recursive: true });
  const wandb = path.join(tmp.dir, "wandb");
  cpSync(path.join(FIXTURES, "wandb/wandb-0.30-local/wandb"), wandb, { recursive: true });
  return { mlruns, logdir, wandb };
}

let sources: ReturnType<typeof writeSources>;

beforeAll(async () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), "exprun-cli-import-s3rver-"));
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  });
  // s3rver removes a key's directory with its last object, racing PUTs into it (see s3.test.ts).
  server.store.deleteObject = async (bucket, key) => {
    for (const kind of ["object", "object.md5", "metadata.json"]) {
      await unlink(server.store.getResourcePath(bucket, key, kind)).catch(() => undefined);
    }
  };
  const { port } = await server.run();
  s3Uri = `s3://${BUCKET}/team?endpoint=http://127.0.0.1:${port}&path-style=true&region=us-east-1`;
  fake = await startVertexFake({ port: 0 });
  vertexEnv = { EXPRUN_TEST_VERTEX: `${fake.host}:${fake.port}` };
  sources = writeSources();
  return async () => {
    await fake.close();
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  };
});
afterAll(() => tmp.remove());

let imported: Promise<{ args: string[]; first: Summary; again: Summary; human: Result }[]> | undefined;

/** Imports each source into the laptop's file store twice (JSON), then once more (human output); once per file. */
function importAll() {
  imported ??= (async () => {
    const out = [];
    for (const args of [
      ["import", "mlflow", sources.mlruns],
      ["import", "tensorboard", sources.logdir, "--experiment", "tb-runs"],
      ["import", "wandb", sources.wandb],
    ]) {
      const first = await exprunJson<Summary>([...args, "--backend", laptop]);
      const again = await exprunJson<Summary>([...args, "--backend", laptop]);
      const human = await exprun([...args, "--backend", laptop]);
      out.push({ args, first, again, human });
    }
    return out;
  })();
  return imported;
}

describe("import → file store → exprun copy to S3 and to Vertex", () => {
  it("imports the three sources into a file store; a second import writes nothing and says so", async () => {
    for (const { args, first, again, human } of await importAll()) {
      expect(first.nothingToWrite, args.join(" ")).toBe(false);
      expect(first.written.points).toBe(first.points);
      expect(again.nothingToWrite, args.join(" ")).toBe(true);
      expect(again.written.runs.created + again.written.runs.updated).toBe(0);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain("Nothing to write: the store already had all of it.");
    }
    const runs = await opened(fileStore(), snapshot);
    expect([...runs.keys()].sort()).toEqual([
      "default/bright-fox-1",
      "default/killed",
      "real-project/tiny-offline",
      "tb-runs/train",
    ]);
    expect(runs.get("default/bright-fox-1")).toMatchObject({
      state: "COMPLETE",
      params: { lr: 0.001, optimizer: "adam" },
      tags: { "mlflow.user": "ana", team: "vision", "mlflow.runName": "bright-fox-1" },
      description: "first try",
    });
    expect(runs.get("default/bright-fox-1")!.series.loss!.steps).toHaveLength(50);
    expect(runs.get("tb-runs/train")!.series.loss!.values[0]).toBe(0.20479995);
    expect(runs.get("tb-runs/train")!.series.loss!.wallTimes[0]).toBe(1637681506036);
    expect(runs.get("real-project/tiny-offline")).toMatchObject({
      state: "COMPLETE",
      tags: { baseline: "", cpu: "" },
      description: "written offline by wandb",
    });
  });

  it("exprun copy to S3 brings every run with its params, metrics, tags, note, state, times and series", async () => {
    await importAll();
    const up = await exprunJson<{ runs: { created: number } }>(["copy", "--from", laptop, "--to", s3Uri], {
      env: S3_ENV,
    });
    expect(up.runs.created).toBe(4);
    Object.assign(process.env, S3_ENV);
    const inS3 = await opened(openBackend(s3Uri, { importer: (pkg) => import(pkg) }), async (s3) => ({
      runs: await snapshot(s3),
      keepsTimes: s3.capabilities.keepsTimes,
      experiment: await s3.getExperiment("default"),
    }));
    const local = await opened(fileStore(), async (file) => ({
      runs: await snapshot(file),
      keepsTimes: file.capabilities.keepsTimes,
    }));
    expect([...inS3.runs.keys()].sort()).toEqual([...local.runs.keys()].sort());
    expect(inS3.experiment?.description).toBe("experiments of the laptop");
    for (const [key, run] of local.runs) {
      const copied = inS3.runs.get(key)!;
      const times = inS3.keepsTimes && local.keepsTimes ? {} : { createTime: 0, updateTime: 0 };
      expect({ ...copied, ...times }, key).toEqual({ ...run, ...times });
    }
    const fox = inS3.runs.get("default/bright-fox-1")!;
    expect(fox.series.odd!.values).toEqual([0.5, Number.NaN]);
    expect(fox.metrics.odd).toBeNaN();
    expect(fox.series.loss!.wallTimes[49]).toBe(T0 + 1049);
    if (inS3.keepsTimes && local.keepsTimes)
      expect([fox.createTime, fox.updateTime]).toEqual([T0, T0 + 60_000]);
  });

  it("imports straight into S3, and a second import writes nothing", async () => {
    const uri = s3Uri.replace("/team?", "/direct?");
    const args = ["import", "tensorboard", sources.logdir, "--experiment", "tb-direct", "--backend", uri];
    const first = await exprunJson<Summary>(args, { env: S3_ENV });
    expect(first).toMatchObject({ nothingToWrite: false, written: { runs: { created: 1 }, points: 20 } });
    const again = await exprunJson<Summary>(args, { env: S3_ENV });
    expect(again).toMatchObject({ nothingToWrite: true, written: { points: 0 } });
    Object.assign(process.env, S3_ENV);
    const runs = await opened(openBackend(uri, { importer: (pkg) => import(pkg) }), snapshot);
    const train = runs.get("tb-direct/train")!;
    expect(train.series.loss!.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(train.series.loss!.values[0]).toBe(0.20479995);
  });

  it("exprun copy to Vertex brings the runs, their series and the tags that are labels", async () => {
    await importAll();
    const tensorboard = fake.store.putTensorboard({
      name: `projects/${PROJECT}/locations/${LOCATION}/tensorboards/1`,
      displayName: "tb",
    }).name;
    // Vertex keeps series in a TensorBoard: the experiments get one before the copy.
    await opened(vertexStore(), async (vertex) => {
      for (const name of ["default", "tb-runs", "real-project"])
        await vertex.createExperiment({ name, description: "", backingTensorboard: tensorboard });
    });
    const result = await exprun(["copy", "--from", laptop, "--to", "vertexfake:", "--json"], {
      nodeArgs: ["--import", VERTEX_PLUGIN],
      env: vertexEnv,
    });
    expect(result.code, result.stderr).toBe(0);
    const copy = JSON.parse(result.stdout) as { runs: { created: number }; warnings: string[] };
    expect(copy.runs.created).toBe(4);
    const inVertex = await opened(vertexStore(), snapshot);
    const local = await opened(fileStore(), snapshot);
    expect([...inVertex.keys()].sort()).toEqual([...local.keys()].sort());
    for (const [key, run] of local) {
      const copied = inVertex.get(key)!;
      expect(copied.series, key).toEqual(run.series);
      expect(copied.state, key).toBe(run.state);
      expect(copied.params, key).toEqual(run.params);
      expect(copied.description, key).toBe(run.description);
    }
    // Tags go as labels: keys renamed by core's rule, as the importers do.
    expect(inVertex.get("default/bright-fox-1")!.tags).toEqual({
      team: "vision",
      mlflow_user: "ana",
      mlflow_runname: "bright-fox-1",
    });
    expect(inVertex.get("real-project/tiny-offline")!.metrics).toMatchObject({ acc: 0.8, best_acc: 0.8 });
  });

  it("imports straight into Vertex: labels renamed, NaN summaries counted, times assigned by Vertex (said in the summary)", async () => {
    fake.reset();
    const tensorboard = fake.store.putTensorboard({
      name: `projects/${PROJECT}/locations/${LOCATION}/tensorboards/2`,
      displayName: "tb",
    }).name;
    await opened(vertexStore(), (vertex) =>
      vertex.createExperiment({ name: "default", description: "", backingTensorboard: tensorboard }),
    );
    const result = await exprun(["import", "mlflow", sources.mlruns, "--backend", "vertexfake:"], {
      nodeArgs: ["--import", VERTEX_PLUGIN],
      env: vertexEnv,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "The vertex store assigns its own create and update times: the runs' times in MLflow were not kept.",
    );
    expect(result.stdout).toMatch(/Not imported: .*nonFiniteMetrics 1/);
    expect(result.stderr).toContain("mlflow.user → mlflow_user");
    const again = await exprunJson<Summary>(
      ["import", "mlflow", sources.mlruns, "--backend", "vertexfake:"],
      {
        nodeArgs: ["--import", VERTEX_PLUGIN],
        env: vertexEnv,
      },
    );
    expect(again).toMatchObject({ nothingToWrite: true, timesKept: false });
    const fox = (await opened(vertexStore(), snapshot)).get("default/bright-fox-1")!;
    expect(fox.tags).toMatchObject({ mlflow_user: "ana", team: "vision" });
    expect(fox.metrics).toEqual({ loss: 1 / 50 });
    expect(fox.series.odd!.values).toEqual([0.5, Number.NaN]);
  });
});
