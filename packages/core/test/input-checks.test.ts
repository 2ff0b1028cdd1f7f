import { createMemoryBackend } from "@exprun/backend-memory";
import { beforeEach, describe, expect, it } from "vitest";
import {
  Artifact,
  type CheckedBackend,
  Execution,
  Experiment,
  ExperimentRun,
  endRun,
  InvalidTypeError,
  init,
  isExprunError,
  log,
  logClassificationMetrics,
  logParams,
  logTimeSeriesMetrics,
  MAX_METADATA_BYTES,
  parseRunState,
  parseWallTime,
  registerBackendScheme,
  resetDefaults,
  startRun,
  ValidationError,
  withRun,
} from "../src/index.js";

/** The rejection of `promise` (or a sync throw of `fn`), for assertions. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/** A typed exprun error: ValidationError or InvalidTypeError, never a raw TypeError/RangeError. */
function expectTyped(error: unknown, code?: "VALIDATION" | "INVALID_TYPE"): void {
  expect(isExprunError(error), String(error)).toBe(true);
  if (code) expect((error as { code: string }).code).toBe(code);
}

let backend: CheckedBackend;
beforeEach(() => {
  resetDefaults();
  backend = createMemoryBackend();
});

describe("public API arguments of the wrong type are typed errors, never raw TypeErrors", () => {
  // Guards against: Experiment.get(123) → "name.includes is not a function", and the like.
  it("statics and module-level functions", async () => {
    expectTyped(await failure(() => Experiment.get(123 as never, { backend })), "INVALID_TYPE");
    expectTyped(await failure(() => Experiment.create(null as never, { backend })));
    expectTyped(await failure(() => Experiment.list(null as never)));
    expectTyped(await failure(() => ExperimentRun.create("r", null as never)));
    expectTyped(await failure(() => ExperimentRun.get(7 as never, { experiment: "exp1", backend })));
    expectTyped(await failure(() => ExperimentRun.create("r", { experiment: null as never, backend })));
    expectTyped(await failure(() => Artifact.create(null as never)));
    expectTyped(await failure(() => Artifact.get(undefined as never, { backend })));
    expectTyped(await failure(() => Execution.create({ backend, schemaTitle: 5 as never })));
    expectTyped(await failure(() => init("exp1" as never)));
    expectTyped(await failure(() => init({ backend: 5 as never })));
    // Guards against: registerBackendScheme("x", 5) accepted, then a raw TypeError on openBackend("x:…").
    expectTyped(await failure(() => registerBackendScheme("bad-factory", 5 as never)), "INVALID_TYPE");
  });

  it("withRun without a function fails before starting a run", async () => {
    // Guards against: a raw "fn is not a function" after the run was created and left RUNNING.
    init({ experiment: "exp1", backend });
    expectTyped(await failure(() => withRun("left-behind", 5 as never)), "INVALID_TYPE");
    expectTyped(await failure(() => withRun((async () => 1) as never, undefined as never)), "INVALID_TYPE");
    expect(
      (await ExperimentRun.list({ experiment: "exp1", backend }).catch(() => [])).map((r) => r.name),
    ).toEqual([]);
  });

  it("run methods", async () => {
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    const bad: [string, () => unknown][] = [
      ["logParams(null)", () => run.logParams(null as never)],
      // Guards against: undefined taken as an empty patch, so nothing was logged and nothing said.
      ["logParams(undefined)", () => run.logParams(undefined as never)],
      ["logMetrics(undefined)", () => run.logMetrics(undefined as never)],
      ["logParams('x')", () => run.logParams("x" as never)],
      ["logMetrics([1])", () => run.logMetrics([1] as never)],
      ["logTimeSeriesMetrics(m, null)", () => run.logTimeSeriesMetrics({ loss: 1 }, null as never)],
      ["logTimeSeriesMetrics(null)", () => run.logTimeSeriesMetrics(null as never)],
      ["associateExecution(undefined)", () => run.associateExecution(undefined as never)],
      ["associateArtifacts('x')", () => run.associateArtifacts("x" as never)],
      ["associateArtifacts([null])", () => run.associateArtifacts([null] as never)],
      ["log({ pipelineJob: null })", () => run.log({ pipelineJob: null as never })],
      ["log(null)", () => run.log(null as never)],
      ["logClassificationMetrics(null)", () => run.logClassificationMetrics(null as never)],
      [
        "logClassificationMetrics({ labels: 'ab' })",
        () => run.logClassificationMetrics({ labels: "ab" as never }),
      ],
      ["updateState(undefined)", () => run.updateState(undefined as never)],
      ["endRun(null)", () => run.endRun(null as never)],
      ["setTags(null)", () => run.setTags(null as never)],
      ["setTags({ a: 1 })", () => run.setTags({ a: 1 } as never)],
      ["deleteTags('a')", () => run.deleteTags("a" as never)],
      ["setDescription(5)", () => run.setDescription(5 as never)],
      ["assignBackingTensorboard(null)", () => run.assignBackingTensorboard(null as never)],
      ["delete(null)", () => run.delete(null as never)],
      ["getLogged(5)", () => run.getLogged(5 as never)],
    ];
    for (const [name, call] of bad) {
      const error = await failure(call);
      expect(isExprunError(error), `${name}: ${String(error)}`).toBe(true);
    }
    expect(await run.getParams()).toEqual({});
  });

  it("executions and experiments", async () => {
    const execution = await Execution.create({ backend, schemaTitle: "system.Run" });
    expectTyped(await failure(() => execution.update({ metadata: "zzz" as never })), "INVALID_TYPE");
    expectTyped(await failure(() => execution.update({ state: "WHATEVER" as never })), "VALIDATION");
    expectTyped(await failure(() => execution.assignInputArtifacts("x" as never)), "INVALID_TYPE");
    const experiment = await Experiment.create("exp1", { backend });
    expectTyped(await failure(() => experiment.getDataFrame(null as never)));
    expectTyped(await failure(() => experiment.assignBackingTensorboard(null as never)));
  });

  it("module-level functions on the current run", async () => {
    init({ experiment: "exp1", backend });
    await startRun("r");
    expectTyped(await failure(() => logParams(null as never)));
    expectTyped(await failure(() => logTimeSeriesMetrics({ a: 1 }, null as never)));
    expectTyped(await failure(() => log({ pipelineJob: null as never })));
    expectTyped(await failure(() => logClassificationMetrics(null as never)));
    await endRun();
  });
});

describe("resource fields are checked before anything is written", () => {
  // Guards against: Artifact.create({ id: 12345 }) and execution.update({ metadata: "zzz" }) written,
  // then artifacts.jsonl / executions.jsonl unreadable in every process.
  it("ids, display names, descriptions, schema titles and versions, URIs, states", async () => {
    const cases: [string, Record<string, unknown>][] = [
      ["numeric id", { id: 12345 }],
      ["short id", { id: "abc" }],
      ["upper-case id", { id: "Model-1" }],
      ["display name not a string", { displayName: 5 }],
      ["display name too long", { displayName: "x".repeat(129) }],
      ["description not a string", { description: {} }],
      ["schema version with spaces", { schemaVersion: "1 0" }],
      ["uri not a string", { uri: 7 }],
      ["uri with a newline", { uri: "gs://a\nb" }],
      ["unknown state", { state: "WHATEVER" }],
      ["state of an execution", { state: "RUNNING" }],
    ];
    for (const [name, fields] of cases) {
      const error = await failure(() => Artifact.create({ backend, schemaTitle: "system.Model", ...fields }));
      expect(isExprunError(error), `${name}: ${String(error)}`).toBe(true);
    }
    expectTyped(await failure(() => Artifact.create({ backend, schemaTitle: "not a title" })), "VALIDATION");
    expectTyped(
      await failure(() => Execution.create({ backend, schemaTitle: "system.Run", state: "LIVE" as never })),
    );
    expect(await Artifact.list({ backend })).toEqual([]);
    const ok = await Artifact.create({
      backend,
      id: "model-1",
      schemaTitle: "system.Model",
      schemaVersion: "",
      displayName: "Ünïcode ✓",
      uri: "gs://bucket/model",
      state: "PENDING",
    });
    expect(ok.toJSON()).toMatchObject({ id: "model-1", schemaVersion: "", state: "PENDING" });
  });
});

describe("metadata is a plain JSON object of bounded depth and size", () => {
  const bad: [string, unknown, RegExp][] = [
    ["a Date", { when: new Date(0) }, /when is a Date; metadata holds JSON values only.*ISO string/],
    ["a BigInt", { n: 1n }, /n is a bigint/],
    ["a function", { f: () => 1 }, /f is a function/],
    ["undefined", { u: undefined }, /u is undefined.*use null/],
    ["a Map", { m: new Map() }, /m is a Map/],
    ["a string", "zzz", /must be a plain JSON object; got string/],
    ["an array", [1, 2], /must be a plain JSON object; got array/],
    ["a hole", { list: Object.assign(new Array(3), { 0: 1, 2: 3 }) }, /list\[1\] is a hole/],
    ["undefined in an array", { list: [1, undefined] }, /list\[1\] is undefined/],
    ["a symbol key", { [Symbol("s")]: 1 }, /symbol key/],
  ];
  for (const [name, metadata, message] of bad) {
    it(`${name} is a typed error naming the path`, async () => {
      const error = await failure(() =>
        Artifact.create({ backend, schemaTitle: "system.Model", metadata: metadata as never }),
      );
      expectTyped(error);
      expect((error as Error).message).toMatch(message);
    });
  }

  it("a cycle is a ValidationError, not a stack overflow", async () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    const error = await failure(() =>
      Artifact.create({ backend, schemaTitle: "system.Model", metadata: cyclic as never }),
    );
    expectTyped(error, "VALIDATION");
    expect((error as Error).message).toMatch(/self\.back refers back to itself/);
  });

  it("5,000 levels deep is a ValidationError, not a RangeError", async () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) deep = { d: deep };
    const error = await failure(() =>
      Artifact.create({ backend, schemaTitle: "system.Model", metadata: deep as never }),
    );
    expectTyped(error, "VALIDATION");
    expect((error as Error).message).toMatch(/more than 32 levels deep/);
  });

  it("32 levels are kept, 33 are refused", async () => {
    const nest = (levels: number) => {
      let value: Record<string, unknown> = { leaf: 1 };
      for (let i = 1; i < levels; i++) value = { d: value };
      return value;
    };
    await Artifact.create({ backend, schemaTitle: "system.Model", metadata: nest(32) as never });
    expectTyped(
      await failure(() =>
        Artifact.create({ backend, schemaTitle: "system.Model", metadata: nest(33) as never }),
      ),
    );
  });

  it(`more than ${MAX_METADATA_BYTES} bytes as JSON is refused; exactly the limit is kept`, async () => {
    const overhead = JSON.stringify({ s: "" }).length;
    const fits = { s: "x".repeat(MAX_METADATA_BYTES - overhead) };
    await Artifact.create({ backend, schemaTitle: "system.Model", metadata: fits });
    const over = { s: "é".repeat(MAX_METADATA_BYTES / 2) };
    const error = await failure(() =>
      Artifact.create({ backend, schemaTitle: "system.Model", metadata: over }),
    );
    const bytes = Buffer.byteLength(JSON.stringify(over));
    expect((error as Error).message).toContain(
      `is ${bytes} bytes as JSON, more than the 204800 bytes (200 KB)`,
    );
    const justOver = { s: "x".repeat(MAX_METADATA_BYTES - overhead + 1) };
    expectTyped(
      await failure(() => Artifact.create({ backend, schemaTitle: "system.Model", metadata: justOver })),
    );
  });

  it("NaN in metadata is refused where the store cannot keep non-finite values", async () => {
    const strict = createStrictBackend();
    const error = await failure(() =>
      Artifact.create({ backend: strict, schemaTitle: "system.Model", metadata: { x: Number.NaN } }),
    );
    expectTyped(error, "VALIDATION");
    await Artifact.create({ backend, schemaTitle: "system.Model", metadata: { x: Number.NaN } });
  });

  it("top-level keys with spaces at their ends (Vertex trims them) are refused", async () => {
    expectTyped(
      await failure(() => Artifact.create({ backend, schemaTitle: "system.Model", metadata: { " a": 1 } })),
    );
    await Artifact.create({ backend, schemaTitle: "system.Model", metadata: { nested: { " a": 1 } } });
  });
});

describe("__proto__, constructor and prototype keys are a clear ValidationError everywhere", () => {
  // Guards against: the key silently dropped on file, memory and Vertex but kept on S3, and the CLI
  // printing "Logged 1 params" for 2 given.
  for (const key of ["__proto__", "constructor", "prototype"]) {
    it(`${key}`, async () => {
      const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
      const dict = JSON.parse(`{"${key}": 1, "ok": 2}`) as Record<string, number>;
      for (const call of [
        () => run.logParams(dict),
        () => run.logMetrics(dict),
        () => run.logTimeSeriesMetrics(dict, { step: 1 }),
        () => run.setTags(JSON.parse(`{"${key}": "v"}`)),
        () =>
          Artifact.create({
            backend,
            schemaTitle: "system.Model",
            metadata: JSON.parse(`{"a": {"${key}": 1}}`),
          }),
      ]) {
        const error = await failure(call);
        expectTyped(error, "VALIDATION");
        expect((error as Error).message).toContain(`"${key}" is not allowed`);
      }
      expect(await run.getParams()).toEqual({});
      expect(await run.getMetrics()).toEqual({});
      expect(await run.getTimeSeriesDataFrame()).toEqual([]);
    });
  }
});

describe("wall times", () => {
  // Guards against: a wall time of 1e16 accepted, then every export of the experiment failing with
  // "Invalid time value".
  it("outside ±8.64e15 ms are a ValidationError; the limits themselves are kept", async () => {
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    for (const wallTime of [1e16, 8.64e15 + 1, -8.64e15 - 1, Number.NaN, new Date(Number.NaN)]) {
      expectTyped(
        await failure(() => run.logTimeSeriesMetrics({ a: 1 }, { step: 1, wallTime })),
        "VALIDATION",
      );
    }
    const ref = run.ref;
    expectTyped(
      await failure(() => backend.appendTimeSeries(ref, [{ step: 1, wallTime: 1e16, values: { a: 1 } }])),
    );
    await run.logTimeSeriesMetrics({ a: 1 }, { step: 1, wallTime: 8.64e15 });
    await run.logTimeSeriesMetrics({ a: 2 }, { step: 2, wallTime: -8.64e15 });
    expect((await run.getTimeSeriesDataFrame()).map((r) => r.wall_time.getTime())).toEqual([
      8.64e15, -8.64e15,
    ]);
  });

  it("one parser for text: milliseconds or ISO 8601, the same from a flag or a JSON line", () => {
    expect(parseWallTime("1700000000000")).toBe(1_700_000_000_000);
    expect(parseWallTime(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseWallTime("2023-11-14T22:13:20Z")).toBe(1_700_000_000_000);
    expect(parseWallTime("2023-11-14T22:13:20.5+00:00")).toBe(1_700_000_000_500);
    for (const bad of ["yesterday", "1e16", "2023-13-45", "", "12abc"]) {
      expect(() => parseWallTime(bad)).toThrowError(ValidationError);
    }
  });
});

describe("run states", () => {
  it("one parser: exact names only, with the name meant", () => {
    expect(parseRunState("COMPLETE")).toBe("COMPLETE");
    expect(() => parseRunState("complete")).toThrowError('Unknown state "complete" (did you mean COMPLETE?)');
    expect(() => parseRunState("DONE")).toThrowError(
      /use one of NEW, RUNNING, COMPLETE, FAILED, CACHED, CANCELLED/,
    );
  });
});

describe("the value validated is the value written", () => {
  // Guards against: a getter returning a number when validated and a function when read storing a
  // function in memory.
  it("a getter is read once, for params, time series, metadata and backend-direct writes", async () => {
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    const flipping = () => {
      let reads = 0;
      return {
        get x() {
          reads++;
          return reads === 1 ? 1 : () => "surprise";
        },
      } as unknown as Record<string, number>;
    };
    await run.logParams(flipping());
    expect(await run.getParams()).toEqual({ x: 1 });
    await run.logTimeSeriesMetrics(flipping(), { step: 1 });
    expect((await run.getTimeSeriesDataFrame())[0]).toMatchObject({ x: 1 });
    const artifact = await Artifact.create({ backend, schemaTitle: "system.Model", metadata: flipping() });
    expect(artifact.metadata).toEqual({ x: 1 });
    await backend.updateRun(run.ref, { metrics: flipping() });
    expect(await run.getMetrics()).toEqual({ x: 1 });
  });

  it("a tag value is read once: setTags neither rejects a value it checked nor writes another", async () => {
    // Guards against: setTags checking the values, then handing the gateway the same object, whose
    // getter is read again (a second read that differs was refused with a confusing message).
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    let reads = 0;
    const tags = {
      get team() {
        reads++;
        return reads === 1 ? "vision" : 5;
      },
    } as unknown as Record<string, string>;
    await run.setTags(tags);
    expect(await run.getTags()).toEqual({ team: "vision" });
    expect(reads).toBe(1);
  });

  it("a patch object's own getters are read once too", async () => {
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    let reads = 0;
    const patch = {
      get state() {
        reads++;
        return reads === 1 ? "COMPLETE" : "BOGUS";
      },
    };
    const record = await backend.updateRun(run.ref, patch as never);
    expect(record.state).toBe("COMPLETE");
    expect(reads).toBe(1);
  });
});

function createStrictBackend(): CheckedBackend {
  const memory = createMemoryBackend();
  return { ...memory, capabilities: { ...memory.capabilities, nonFiniteValues: false } } as CheckedBackend;
}

it("InvalidTypeError is a TypeError with a stable code", () => {
  const error = new InvalidTypeError("x");
  expect(error).toBeInstanceOf(TypeError);
  expect(error.code).toBe("INVALID_TYPE");
});

describe("time-series metric names", () => {
  // Guards against: { "": 1 } written though no read can ask for metric "" (and no TensorBoard series
  // can be named so), and a lone surrogate in a name silently turned into U+FFFD by UTF-8 stores.
  it("an empty name or one with a lone surrogate is a ValidationError, and nothing is written", async () => {
    const backend = createMemoryBackend();
    const run = await ExperimentRun.create("names", { experiment: "exp1", backend });
    for (const bad of ["", "loss\ud800", "\udc00"]) {
      await expect(run.logTimeSeriesMetrics({ ok: 1, [bad]: 2 })).rejects.toMatchObject({
        code: "VALIDATION",
      });
      await expect(
        backend.appendTimeSeries(run.ref, [{ step: 1, wallTime: 1, values: { [bad]: 1 } }]),
      ).rejects.toMatchObject({ code: "VALIDATION" });
    }
    await run.logTimeSeriesMetrics({ "loss \ud83d\ude00": 1 }); // a well-formed pair is fine
    expect((await run.getTimeSeriesDataFrame()).map((r) => Object.keys(r))).toEqual([
      ["step", "wall_time", "loss \ud83d\ude00"],
    ]);
  });
});
