import { createMemoryBackend } from "@exprun/backend-memory";
import { describe, expect, it } from "vitest";
import {
  type Backend,
  BackendClosedError,
  checkBackend,
  Experiment,
  ExperimentRun,
  experimentNotFound,
  InvalidTypeError,
  isCheckedBackend,
  type RunRef,
  readSeriesPoints,
  resourceNotFound,
  runNotFound,
  ValidationError,
} from "../src/index.js";

/** The memory store's raw methods, unchecked: what a custom store hands to checkBackend. */
function rawStore(overrides: Partial<Backend> = {}): Backend {
  const checked = createMemoryBackend();
  return { ...checked, close: undefined, flush: undefined, ...overrides } as Backend;
}

describe("checkBackend", () => {
  it("is idempotent: a checked backend, or the same store twice, gives one checked backend", () => {
    const raw = rawStore();
    const a = checkBackend(raw);
    expect(checkBackend(a)).toBe(a);
    expect(checkBackend(raw)).toBe(a);
    expect(isCheckedBackend(a)).toBe(true);
    expect(isCheckedBackend(raw)).toBe(false);
  });

  it("a store built by spreading a checked one is not mistaken for a checked one", () => {
    const spread = { ...createMemoryBackend() };
    expect(isCheckedBackend(spread)).toBe(false);
  });

  it("refuses a store missing a required method, naming it", () => {
    const { createRun: _gone, ...partial } = rawStore();
    expect(() => checkBackend(partial as Backend)).toThrowError(/does not implement createRun\(\)/);
  });

  it("reads capabilities a store written for an older core leaves out as false", () => {
    const raw = rawStore({
      capabilities: {
        nonFiniteValues: true,
        requiresTensorboard: false,
        bufferedTimeSeries: false,
        multiProcess: false,
      },
    } as Partial<Backend>);
    expect(checkBackend(raw).capabilities).toEqual({
      nonFiniteValues: true,
      requiresTensorboard: false,
      bufferedTimeSeries: false,
      multiProcess: false,
      keepsTimes: false,
      tagsAsLabels: false,
    });
  });

  it("after close() every call rejects with BackendClosedError (code CLOSED); close() twice resolves", async () => {
    const backend = createMemoryBackend();
    await backend.createExperiment({ name: "exp1" });
    await backend.close();
    await backend.close();
    expect(backend.closed).toBe(true);
    const error = await backend.getExperiment("exp1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendClosedError);
    expect(error).toMatchObject({
      code: "CLOSED",
      message:
        "[exprun] [memory] This memory backend was closed, so it cannot be used any more. Open a new one " +
        "(its create function, or openBackend(uri)) to continue.",
    });
    await expect(backend.flush()).rejects.toMatchObject({ code: "CLOSED" });
    await expect(backend.appendTimeSeries({ experiment: "exp1", run: "r" }, [])).rejects.toMatchObject({
      code: "CLOSED",
    });
  });

  it("close() waits for calls already started, so their writes are not cut off", async () => {
    let finish!: () => void;
    const raw = rawStore();
    const slow = rawStore({
      async createExperiment(input) {
        await new Promise<void>((resolve) => (finish = resolve));
        return raw.createExperiment(input);
      },
    });
    const backend = checkBackend(slow);
    const created = backend.createExperiment({ name: "exp1" });
    let closed = false;
    const closing = backend.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(false);
    finish();
    await created;
    await closing;
    expect(closed).toBe(true);
  });

  it("a close() that fails leaves the backend open so it can be retried", async () => {
    let failures = 1;
    const backend = checkBackend(
      rawStore({
        async close() {
          if (failures-- > 0) throw new Error("disk full");
        },
      }),
    );
    await expect(backend.close()).rejects.toMatchObject({
      code: "BACKEND",
      message: /close\(\) failed: Error: disk full/,
    });
    expect(backend.closed).toBe(false);
    await backend.getExperiment("exp1");
    await backend.close();
    expect(backend.closed).toBe(true);
  });

  it("checks arguments before the store sees them, with typed errors", async () => {
    const seen: unknown[] = [];
    const backend = checkBackend(
      rawStore({
        async updateRun(_ref, patch) {
          seen.push(patch);
          throw new Error("unreachable");
        },
      }),
    );
    const ref = { experiment: "exp1", run: "r" };
    await expect(backend.updateRun(ref, { params: { a: 1n } as never })).rejects.toBeInstanceOf(
      InvalidTypeError,
    );
    await expect(backend.updateRun(ref, { state: "WHATEVER" as never })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(backend.updateRun(ref, { params: JSON.parse('{"__proto__": 1}') })).rejects.toThrowError(
      /"__proto__" is not allowed in params/,
    );
    await expect(backend.getRun({ experiment: "../x", run: "r" })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      backend.createArtifact({ schemaTitle: "system.Model", id: 12345 as never }),
    ).rejects.toBeInstanceOf(InvalidTypeError);
    expect(seen).toEqual([]);
  });

  it("turns a store's own raw failure into a BackendError with the cause", async () => {
    const cause = new TypeError("x is not a function");
    const backend = checkBackend(
      rawStore({
        async listExperiments() {
          throw cause;
        },
      }),
    );
    const error = await backend.listExperiments().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BACKEND", cause });
    expect((error as Error).message).toBe(
      "[exprun] [memory] listExperiments() failed: TypeError: x is not a function",
    );
  });

  it("derives latestTimeSeries and the metrics filter where a store leaves them out", async () => {
    const raw = rawStore();
    const backend = checkBackend({
      ...raw,
      latestTimeSeries: undefined,
      // A store that ignores the query: core filters again.
      readSeries: (ref: RunRef) => raw.readSeries(ref),
    });
    await backend.createExperiment({ name: "exp1" });
    await backend.createRun("exp1", { name: "r", state: "RUNNING" });
    const ref = { experiment: "exp1", run: "r" };
    await backend.appendTimeSeries(ref, [
      { step: 2, wallTime: 1, values: { a: 1, b: 2 } },
      { step: 2, wallTime: 2, values: { a: 3 } },
      { step: 1, wallTime: 3, values: { a: 9 } },
    ]);
    expect(await backend.latestTimeSeries(ref)).toEqual({
      a: { metric: "a", step: 2, wallTime: 2, value: 3 },
      b: { metric: "b", step: 2, wallTime: 1, value: 2 },
    });
    expect((await readSeriesPoints(backend, ref, { metrics: ["b"] })).map((p) => p.metric)).toEqual(["b"]);
  });

  it("fills the latest points a store's listRuns leaves out, when asked for them", async () => {
    const raw = rawStore();
    const backend = checkBackend({
      ...raw,
      // A store that never computes latestTimeSeries in listings.
      listRuns: async (experiment, page) => {
        const result = await raw.listRuns(experiment, { ...page, withLatestTimeSeries: false });
        for (const record of result.items) delete record.latestTimeSeries;
        return result;
      },
    });
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    await run.logTimeSeriesMetrics({ loss: 0.5 }, { step: 3 });
    await ExperimentRun.create("empty", { experiment: "exp1", backend });
    const rows = await (await Experiment.get("exp1", { backend })).getDataFrame();
    expect(rows.map((r) => r["time_series_metric.loss"])).toEqual([0.5, null]);
  });

  it("a store that ignores the incarnation in getRun still reads a re-created run as missing", async () => {
    const raw = rawStore();
    const backend = checkBackend({
      ...raw,
      getRun: (ref) => raw.getRun({ experiment: ref.experiment, run: ref.run }),
    });
    const old = await ExperimentRun.create("r", { experiment: "exp1", backend });
    await backend.deleteRun(old.ref, { deleteBackingTensorboardRun: false });
    await backend.createRun("exp1", { name: "r", state: "RUNNING" });
    expect(await backend.getRun(old.ref)).toBeUndefined();
    await expect(old.getParams()).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("a store that needs a TensorBoard refuses backend-direct appends to a run without one", async () => {
    const raw = rawStore();
    const backend = checkBackend({
      ...raw,
      capabilities: { ...raw.capabilities, requiresTensorboard: true },
    });
    await backend.createExperiment({ name: "exp1" });
    await backend.createRun("exp1", { name: "r", state: "RUNNING" });
    const ref = { experiment: "exp1", run: "r" };
    const write = [{ step: 1, wallTime: 1, values: { a: 1 } }];
    await expect(backend.appendTimeSeries(ref, write)).rejects.toThrowError(/has no backing TensorBoard/);
    await backend.assignRunTensorboard(ref, "projects/p/locations/l/tensorboards/1");
    await backend.appendTimeSeries(ref, write);
    expect(await readSeriesPoints(backend, ref)).toHaveLength(1);
  });

  it("passes given create/update times only to a store that keeps them", async () => {
    const keeps = createMemoryBackend();
    const raw = rawStore();
    const assigns = checkBackend({ ...raw, capabilities: { ...raw.capabilities, keepsTimes: false } });
    for (const backend of [keeps, assigns]) {
      await backend.createExperiment({ name: "exp1" });
      const run = await backend.createRun("exp1", {
        name: "r",
        state: "RUNNING",
        createTime: 1000,
        updateTime: 2000,
      });
      const updated = await backend.updateRun(
        { experiment: "exp1", run: "r" },
        { state: "COMPLETE", updateTime: 3000 },
      );
      const artifact = await backend.createArtifact({
        schemaTitle: "system.Model",
        createTime: 1000,
        updateTime: 2000,
      });
      const kept = backend === keeps;
      expect([run.createTime === 1000, updated.updateTime === 3000, artifact.createTime === 1000]).toEqual([
        kept,
        kept,
        kept,
      ]);
    }
  });

  it("prints as the store's name and capabilities, never the store object behind it", () => {
    const backend = checkBackend(
      rawStore({ credentials: { client_email: "sa@p.iam", private_key: "SECRET" } }),
    );
    const shown = `${(backend as unknown as Record<symbol, () => string>)[Symbol.for("nodejs.util.inspect.custom")]!()}`;
    expect(shown).toContain('"name":"memory"');
    expect(shown).not.toContain("SECRET");
    expect(JSON.stringify(backend)).not.toContain("SECRET");
  });
});

describe("incarnations", () => {
  it("a run object whose run was deleted and re-created by someone else gets NotFoundError on every call", async () => {
    const backend = createMemoryBackend();
    const old = await ExperimentRun.create("r", { experiment: "exp1", backend });
    await old.logParams({ a: 1 });
    const other = await ExperimentRun.get("r", { experiment: "exp1", backend });
    await other.delete();
    const fresh = await ExperimentRun.create("r", { experiment: "exp1", backend });
    expect(fresh.ref.incarnation).not.toBe(old.ref.incarnation);
    for (const call of [
      () => old.logParams({ b: 2 }),
      () => old.logMetrics({ m: 1 }),
      () => old.logTimeSeriesMetrics({ loss: 1 }, { step: 1 }),
      () => old.getParams(),
      () => old.setTags({ k: "v" }),
      () => old.updateState("COMPLETE"),
      () => old.getTimeSeriesDataFrame(),
      () => old.getArtifacts(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    expect(await fresh.getParams()).toEqual({});
    expect(await fresh.getTimeSeriesDataFrame()).toEqual([]);
    expect(await fresh.getTags()).toEqual({});
  });
});

describe("tags, note and times", () => {
  it("setTags merges, deleteTags removes, setDescription replaces; times are Dates", async () => {
    const backend = createMemoryBackend();
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    await run.setTags({ team: "vision", owner: "ana" });
    await run.setTags({ team: "nlp" });
    await run.deleteTags(["owner", "absent"]);
    await run.setDescription("first try");
    expect(await run.getTags()).toEqual({ team: "nlp" });
    expect(run.description).toBe("first try");
    expect(run.createTime).toBeInstanceOf(Date);
    expect(run.updateTime.getTime()).toBeGreaterThanOrEqual(run.createTime.getTime());
    const again = await ExperimentRun.get("r", { experiment: "exp1", backend });
    expect(again.description).toBe("first try");
  });

  it("tag.<k> columns come after the metric columns, and are absent when no run has tags", async () => {
    const backend = createMemoryBackend();
    const a = await ExperimentRun.create("a", { experiment: "exp1", backend });
    await a.logParams({ p: 1 });
    await a.logMetrics({ m: 2 });
    await a.logTimeSeriesMetrics({ loss: 0.5 });
    const experiment = await Experiment.get("exp1", { backend });
    expect(Object.keys((await experiment.getDataFrame())[0]!).some((c) => c.startsWith("tag."))).toBe(false);
    const b = await ExperimentRun.create("b", { experiment: "exp1", backend });
    await b.setTags({ team: "vision" });
    const rows = await experiment.getDataFrame();
    expect(Object.keys(rows[0]!)).toEqual([
      "experiment_name",
      "run_name",
      "run_type",
      "state",
      "param.p",
      "metric.m",
      "time_series_metric.loss",
      "tag.team",
    ]);
    expect(rows.map((r) => r["tag.team"])).toEqual([null, "vision"]);
  });

  it("on a store whose tags are Vertex labels, a tag breaking the label rules is a ValidationError naming the rule", async () => {
    const memory = createMemoryBackend();
    const backend = checkBackend({
      ...memory,
      close: undefined,
      capabilities: { ...memory.capabilities, tagsAsLabels: true },
    });
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    await run.setTags({ team: "vision_2-a" });
    const bad: Record<string, string>[] = [
      { Team: "x" },
      { team: "Vision" },
      { team: "a b" },
      { ["k".repeat(64)]: "v" },
    ];
    for (const tags of bad) {
      await expect(run.setTags(tags)).rejects.toThrowError(
        /label rules.*at most 63 lowercase letters, digits/,
      );
    }
    const many = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, "v"]));
    await expect(run.setTags(many)).rejects.toThrowError(/at most 64/);
    expect(await run.getTags()).toEqual({ team: "vision_2-a" });
  });
});

describe("the one not-found wording", () => {
  // Guards against: a store wrapping its own NOT_FOUND (a gRPC status, an HTTP 404) writing its own
  // message because core's helpers could not keep the cause.
  it("keeps the store's failure as the cause, with the same message", () => {
    const cause = new Error("5 NOT_FOUND: execution missing");
    const error = resourceNotFound("Execution", "e-1", { backend: "vertex", cause });
    expect(error.message).toBe('[exprun] [vertex] Execution "e-1" was not found.');
    expect(error.cause).toBe(cause);
    expect(runNotFound({ experiment: "e", run: "r" }, { cause }).cause).toBe(cause);
    expect(experimentNotFound("e", { cause }).cause).toBe(cause);
    expect(experimentNotFound("e").cause).toBeUndefined();
  });
});

describe("what a store hands back is checked too", () => {
  // Guards against: a store's malformed chunk or page escaping core as a raw TypeError (or as rows of
  // garbage: a chunk with 3 steps and 1 wall time became a row with an Invalid Date).
  const store = (overrides: Partial<Backend>) => {
    const inner = createMemoryBackend();
    return {
      inner,
      backend: checkBackend({ ...inner, name: "custom", capabilities: inner.capabilities, ...overrides }),
    };
  };
  it("a malformed series chunk is a BackendError naming the store", async () => {
    for (const chunk of [
      { metric: "a", steps: [1], wallTimes: [1] },
      {
        metric: "a",
        steps: new Float64Array(3),
        wallTimes: new Float64Array(1),
        values: new Float64Array(3),
      },
      { steps: new Float64Array(1), wallTimes: new Float64Array(1), values: new Float64Array(1) },
      null,
    ]) {
      const { backend } = store({
        async *readSeries() {
          yield chunk as never;
        },
      });
      await expect(readSeriesPoints(backend, { experiment: "e", run: "r" })).rejects.toMatchObject({
        code: "BACKEND",
        message: expect.stringContaining("custom store's readSeries yielded a malformed chunk"),
      });
    }
  });
  it("plain number arrays are taken as columns", async () => {
    const { backend } = store({
      async *readSeries() {
        yield { metric: "a", steps: [1, 2], wallTimes: [10, 20], values: [0.5, 0.25] } as never;
      },
    });
    expect(await readSeriesPoints(backend, { experiment: "e", run: "r" })).toEqual([
      { metric: "a", step: 1, wallTime: 10, value: 0.5 },
      { metric: "a", step: 2, wallTime: 20, value: 0.25 },
    ]);
  });
  it("a list that is not a page is a BackendError", async () => {
    const { backend } = store({
      listExperiments: async () => 7 as never,
      listArtifacts: async () => ({}) as never,
    });
    await expect(Experiment.list({ backend })).rejects.toMatchObject({ code: "BACKEND" });
    await expect(backend.listArtifacts()).rejects.toMatchObject({ code: "BACKEND" });
  });
});
