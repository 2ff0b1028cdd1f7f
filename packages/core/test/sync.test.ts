import { createMemoryBackend } from "@exprun/backend-memory";
import { describe, expect, it } from "vitest";
import {
  backendSeries,
  type CheckedBackend,
  checkBackend,
  type RunRef,
  type RunSyncSource,
  readSeriesPoints,
  type SeriesChunk,
  type SeriesReader,
  SYNC_BUCKET_STEPS,
  syncExperiment,
  syncRun,
  syncSeries,
  type TimeSeriesWrite,
} from "../src/index.js";

const CREATED = Date.UTC(2023, 4, 1, 12);
const UPDATED = Date.UTC(2023, 4, 2, 8);

/** A series reader over columns held in memory (what an importer hands to syncRun). */
function reader(columns: Record<string, [step: number, wallTime: number, value: number][]>): SeriesReader {
  return async function* () {
    for (const [metric, points] of Object.entries(columns)) {
      yield {
        metric,
        steps: Float64Array.from(points.map((p) => p[0])),
        wallTimes: Float64Array.from(points.map((p) => p[1])),
        values: Float64Array.from(points.map((p) => p[2])),
      };
    }
  };
}

const series = (n: number, metric = "loss", from = 0) =>
  ({
    [metric]: Array.from({ length: n }, (_, i) => [
      from + i,
      1_700_000_000_000 + from + i,
      1 / (from + i + 1),
    ]),
  }) as Record<string, [number, number, number][]>;

function source(over: Partial<RunSyncSource> = {}): RunSyncSource {
  return {
    name: "imported",
    runType: "system.Run",
    state: "COMPLETE",
    params: { lr: 0.1, opt: "adam" },
    metrics: { acc: 0.9, nan: Number.NaN },
    tags: { team: "vision" },
    description: "from elsewhere",
    createTime: CREATED,
    updateTime: UPDATED,
    series: reader(series(20)),
    ...over,
  };
}

async function store(): Promise<CheckedBackend> {
  const backend = createMemoryBackend();
  await backend.createExperiment({ name: "target", description: "" });
  return backend;
}

const nothingWritten = {
  created: false,
  wrote: false,
  params: 0,
  metrics: 0,
  states: 0,
  tags: 0,
  notes: 0,
  times: 0,
  points: 0,
  tensorboards: 0,
  attributions: 0,
  children: 0,
  warnings: [],
};

describe("syncRun", () => {
  it("creates the run with its type, times, values, tags, note and series", async () => {
    const target = await store();
    const result = await syncRun(target, "target", source());
    expect(result).toMatchObject({
      created: true,
      wrote: true,
      params: 2,
      metrics: 2,
      tags: 1,
      notes: 1,
      points: 20,
    });
    const run = await target.getRun({ experiment: "target", run: "imported" });
    expect(run).toMatchObject({
      runType: "system.Run",
      state: "COMPLETE",
      params: { lr: 0.1, opt: "adam" },
      tags: { team: "vision" },
      description: "from elsewhere",
      createTime: CREATED,
      updateTime: UPDATED,
    });
    expect(run!.metrics.nan).toBeNaN();
    const points = await readSeriesPoints(target, { experiment: "target", run: "imported" });
    expect(points).toHaveLength(20);
  });

  // Guards against a re-import or a second copy rewriting what is already there.
  it("writes nothing the second time", async () => {
    const target = await store();
    await syncRun(target, "target", source());
    const again = await syncRun(target, "target", source());
    expect({ ...again, record: undefined }).toEqual({ ...nothingWritten, record: undefined });
  });

  it("writes only what changed, keeps what only the target has, and sets the update time last", async () => {
    const target = await store();
    await syncRun(target, "target", source());
    const ref = { experiment: "target", run: "imported" };
    const first = await target.getRun(ref);
    await target.updateRun({ ...ref, incarnation: first!.incarnation }, { tags: { owner: "me" } });
    const changed = series(20);
    changed.loss![5]![2] = 42; // one old step rewritten
    changed.loss!.push([20, 1_700_000_000_020, 0.01], [21, 1_700_000_000_021, 0.009]);
    const result = await syncRun(
      target,
      "target",
      source({
        params: { lr: 0.2, opt: "adam" },
        state: "FAILED",
        series: reader(changed),
        updateTime: UPDATED + 1,
      }),
    );
    expect(result).toMatchObject({ created: false, params: 1, metrics: 0, states: 1, tags: 0, points: 3 });
    const run = await target.getRun(ref);
    expect(run).toMatchObject({
      params: { lr: 0.2 },
      state: "FAILED",
      tags: { team: "vision", owner: "me" },
    });
    expect(run!.updateTime).toBe(UPDATED + 1);
    const settled = new Map((await readSeriesPoints(target, ref)).map((p) => [p.step, p.value]));
    expect(settled.get(5)).toBe(42);
    expect(settled.size).toBe(22);
  });

  // Guards against a dry run counting an update time the real sync sets along with the changed values.
  it("a dry run of a changed run counts exactly what the real sync then writes", async () => {
    const target = await store();
    await syncRun(target, "target", source());
    const changed = source({ params: { lr: 0.2, opt: "adam" }, updateTime: UPDATED + 1 });
    const dry = await syncRun(target, "target", changed, { dryRun: true });
    const real = await syncRun(target, "target", changed);
    expect({ ...dry, record: undefined }).toEqual({ ...real, record: undefined });
    expect(real).toMatchObject({ params: 1, times: 0 });
  });

  // Guards against the real sync counting, as a time write of its own, setting the update time back
  // after its own later writes moved it (the dry run cannot see that move, so the two disagreed).
  it("a dry run counts what the real sync writes on a store whose writes move the update time", async () => {
    const memory = await store();
    const moving: CheckedBackend = Object.create(memory, {
      attributeToRun: {
        value: async (ref: RunRef, links: Parameters<CheckedBackend["attributeToRun"]>[1]) => {
          await memory.attributeToRun(ref, links);
          await memory.updateRun(ref, { description: "moved by the store" });
        },
      },
    });
    const artifact = await memory.createArtifact({ schemaTitle: "system.Artifact", id: "data" });
    await syncRun(moving, "target", source());
    const changed = source({
      params: { lr: 0.2, opt: "adam" },
      updateTime: UPDATED + 1,
      artifacts: [artifact.id],
    });
    const dry = await syncRun(moving, "target", changed, { dryRun: true });
    const real = await syncRun(moving, "target", changed);
    expect({ ...dry, record: undefined }).toEqual({ ...real, record: undefined });
    expect(real).toMatchObject({ params: 1, attributions: 1, times: 0 });
    expect((await memory.getRun({ experiment: "target", run: "imported" }))!.updateTime).toBe(UPDATED + 1);
  });

  it("counts in a dry run and writes nothing", async () => {
    const target = await store();
    const dry = await syncRun(target, "target", source(), { dryRun: true });
    expect(dry).toMatchObject({ created: true, params: 2, points: 20 });
    expect(await target.getRun({ experiment: "target", run: "imported" })).toBeUndefined();
  });

  it("leaves out NaN and ±Infinity for a store that cannot keep them, with a warning each", async () => {
    const memory = createMemoryBackend();
    const finite = checkBackend({
      ...memory,
      capabilities: { ...memory.capabilities, nonFiniteValues: false },
    });
    await finite.createExperiment({ name: "target", description: "" });
    const result = await syncRun(
      finite,
      "target",
      source({ params: { lr: 0.1, bad: Number.POSITIVE_INFINITY } }),
    );
    expect(result.params).toBe(1);
    expect(result.metrics).toBe(1);
    expect(result.warnings).toEqual([
      expect.stringContaining('param "bad" = Infinity was not copied'),
      expect.stringContaining('metric "nan" = NaN was not copied'),
    ]);
    const run = await finite.getRun({ experiment: "target", run: "imported" });
    expect(run!.params).toEqual({ lr: 0.1 });
    expect(
      (await syncRun(finite, "target", source({ params: { lr: 0.1, bad: Number.POSITIVE_INFINITY } }))).wrote,
    ).toBe(false);
  });

  // Guards against a copy or import to Vertex failing on the first tag that is not a label (MLflow's
  // mlflow.user, a path in mlflow.source.name): keys are renamed, what cannot be a label is left out.
  it("renames tag keys to label keys on a store whose tags are labels, and leaves out what cannot be one, with a warning", async () => {
    const memory = createMemoryBackend();
    const labels = checkBackend({ ...memory, capabilities: { ...memory.capabilities, tagsAsLabels: true } });
    await labels.createExperiment({ name: "target", description: "" });
    const tags = {
      "mlflow.user": "ana",
      team: "vision",
      "mlflow.source.name": "/home/ana/train.py",
      Team: "x",
    };
    const result = await syncRun(labels, "target", source({ tags }));
    expect(result.tags).toBe(2);
    expect(result.warnings).toEqual([
      'target/imported: tag "mlflow.source.name" was not copied: the memory store keeps tags as labels and its value "/home/ana/train.py" is not a label value (at most 63 lowercase letters, digits, _ or -).',
      'target/imported: tag "Team" was not copied: the memory store keeps tags as labels and its key renames to "team", which is empty or another tag\'s.',
    ]);
    const run = await labels.getRun({ experiment: "target", run: "imported" });
    expect(run!.tags).toEqual({ team: "vision", mlflow_user: "ana" });
    expect((await syncRun(labels, "target", source({ tags }))).wrote).toBe(false);
  });

  it("does not pass times to a store that does not keep them", async () => {
    const memory = createMemoryBackend();
    const noTimes = checkBackend({ ...memory, capabilities: { ...memory.capabilities, keepsTimes: false } });
    await noTimes.createExperiment({ name: "target", description: "" });
    const result = await syncRun(noTimes, "target", source());
    expect(result.times).toBe(0);
    const run = await noTimes.getRun({ experiment: "target", run: "imported" });
    expect(run!.createTime).not.toBe(CREATED);
    const again = await syncRun(noTimes, "target", source());
    expect(again.wrote).toBe(false);
  });
});

describe("syncSeries", () => {
  /** Wraps a reader, counting the points it delivers. */
  const counted = (read: SeriesReader) => {
    const stats = { points: 0, reads: 0 };
    const wrapped: SeriesReader = (range) =>
      (async function* () {
        stats.reads++;
        for await (const chunk of read(range)) {
          stats.points += chunk.steps.length;
          yield chunk;
        }
      })();
    return { read: wrapped, stats };
  };

  // Guards against a whole run's series held in memory to compare it: only a bucket is re-read.
  it("re-reads only the bucket that differs, and writes only the changed point", async () => {
    const n = SYNC_BUCKET_STEPS * 5;
    const base = series(n);
    const target = await store();
    await target.createRun("target", { name: "r", state: "RUNNING" });
    const ref = { experiment: "target", run: "r" };
    await syncSeries(reader(base), backendSeries(target, ref), (w) => target.appendTimeSeries(ref, w), {
      fresh: true,
      dryRun: false,
    });
    const changed = series(n);
    changed.loss![SYNC_BUCKET_STEPS * 3 + 7]![2] = -1;
    const wanted = counted(reader(changed));
    const have = counted(backendSeries(target, ref));
    const writes: TimeSeriesWrite[] = [];
    const written = await syncSeries(wanted.read, have.read, async (w) => void writes.push(...w), {
      fresh: false,
      dryRun: false,
    });
    expect(written).toBe(1);
    expect(writes).toEqual([
      { step: SYNC_BUCKET_STEPS * 3 + 7, wallTime: expect.any(Number), values: { loss: -1 } },
    ]);
    // One full pass each to compare, then one bucket from each side (the test reader ignores ranges,
    // so the sync filters what it gets).
    expect(wanted.stats.reads).toBe(2);
    expect(have.stats.reads).toBe(2);
  });

  it("streams a series the target lacks in batches, never all at once", async () => {
    const n = 12_000;
    const batches: number[] = [];
    const written = await syncSeries(
      reader(series(n)),
      async function* (): AsyncIterable<SeriesChunk> {},
      async (w) => void batches.push(w.length),
      { fresh: false, dryRun: false },
    );
    expect(written).toBe(n);
    expect(Math.max(...batches)).toBeLessThanOrEqual(5000);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(n);
  });
});

describe("syncExperiment", () => {
  it("creates, then updates the description, then leaves it alone", async () => {
    const target = createMemoryBackend();
    expect((await syncExperiment(target, { name: "exp-one", description: "a" })).outcome).toBe("created");
    expect((await syncExperiment(target, { name: "exp-one", description: "b" })).outcome).toBe("updated");
    expect((await syncExperiment(target, { name: "exp-one", description: "b" })).outcome).toBe("unchanged");
    expect((await target.getExperiment("exp-one"))?.description).toBe("b");
  });
});
