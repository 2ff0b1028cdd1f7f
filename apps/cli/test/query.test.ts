import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exprun, exprunJson, tempDir } from "./helpers/cli.js";

const tmp = tempDir();
const store = ["--backend", `file:${path.join(tmp.dir, "store")}`];
const cli = (args: string[], input?: string) =>
  exprun([...store, ...args], { cwd: tmp.dir, ...(input === undefined ? {} : { input }) });
const names = async (args: string[]) =>
  (
    await exprunJson<{ run: string }[]>([...store, "runs", "list", "-e", "sweep", ...args], { cwd: tmp.dir })
  ).map((r) => r.run);

beforeAll(async () => {
  const lines = [
    { run: "mlp-a", params: { model: "mlp", opt: "adam" }, metrics: { acc: 0.9 } },
    { run: "mlp-b", params: { model: "mlp", opt: "sgd" }, metrics: { acc: 0.8 } },
    { run: "logreg-a", params: { model: "logreg", opt: "adam" }, metrics: { acc: 0.7 } },
    { run: "big-c", params: { model: "MLP", opt: "rmsprop" }, metrics: { acc: 0.95 }, state: "FAILED" },
  ];
  const input = `${lines.map((l) => JSON.stringify({ experiment: "sweep", ...l })).join("\n")}\n`;
  const result = await cli(["log", "--jsonl", "--create"], input);
  expect(result.code, result.stderr).toBe(0);
});
afterAll(() => tmp.remove());

describe("--sort", () => {
  it("takes several keys, comma-separated or as repeated flags", async () => {
    expect(await names(["--sort", "param.model,-metric.acc"])).toEqual([
      "big-c",
      "logreg-a",
      "mlp-a",
      "mlp-b",
    ]);
    expect(await names(["--sort", "param.model", "--sort", "-metric.acc"])).toEqual([
      "big-c",
      "logreg-a",
      "mlp-a",
      "mlp-b",
    ]);
    expect(await names(["--sort", "param.opt,metric.acc:desc"])).toEqual([
      "mlp-a",
      "logreg-a",
      "big-c",
      "mlp-b",
    ]);
  });

  it('calls its errors "Bad sort", with the column, exit code 1', async () => {
    const result = await cli(["runs", "list", "--sort", "param.model,metric.acc > 1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Bad sort at column 24");
    expect(result.stderr).not.toContain("Bad filter");
    expect(result.stderr).toContain("  param.model,metric.acc > 1\n                         ^");
  });

  // Guards against `--sort metric.acuracy` (a typo) being accepted and sorting nothing.
  it("rejects a sort key no run has, naming the keys that exist", async () => {
    const result = await cli(["runs", "list", "-e", "sweep", "--sort", "-metric.acuracy"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Bad sort at column 1: no run has metric.acuracy");
    expect(result.stderr).toContain("Known: metric.acc.");
    expect((await cli(["runs", "list", "-e", "sweep", "--sort", "bogus"])).stderr).toContain("unknown field");
  });
});

describe("--filter: what MLflow users type", () => {
  it("IN and NOT IN", async () => {
    expect(await names(["--filter", "param.opt IN ('adam', 'rmsprop')"])).toEqual([
      "mlp-a",
      "logreg-a",
      "big-c",
    ]);
    expect(await names(["--filter", "param.opt NOT IN ('adam')"])).toEqual(["mlp-b", "big-c"]);
  });

  it("LIKE with % and _, case-sensitive, and ILIKE", async () => {
    expect(await names(["--filter", "run_name LIKE 'mlp-%'"])).toEqual(["mlp-a", "mlp-b"]);
    expect(await names(["--filter", "param.model LIKE 'ML%'"])).toEqual(["big-c"]);
    expect(await names(["--filter", "param.model ILIKE 'ml%'"])).toEqual(["mlp-a", "mlp-b", "big-c"]);
    expect(await names(["--filter", "param.model LIKE 'ml_'"])).toEqual(["mlp-a", "mlp-b"]);
  });

  it("attributes.* and created/updated times", async () => {
    expect(await names(["--filter", "attributes.status = 'FAILED'"])).toEqual(["big-c"]);
    expect(
      await names(["--filter", "created > '2000-01-01' and updated < '2999-01-01T00:00:00Z'"]),
    ).toHaveLength(4);
    expect(await names(["--filter", "created < 2000-01-01"])).toEqual([]);
  });

  it("points its errors at the column, exit code 1", async () => {
    const result = await cli(["runs", "list", "--filter", "param.opt IN ('adam' 'sgd')"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Bad filter at column 22: expected "," or ")" in the IN list');
    const time = await cli(["runs", "list", "--filter", "created > 'yesterday'"]);
    expect(time.code).toBe(1);
    expect(time.stderr).toContain("Bad filter at column 11: expected a time");
  });
});

describe("states and wall times: one parser, core's rules", () => {
  // Guards against `runs state x complete` being accepted while core's updateState rejects it.
  it("takes states in upper case only, everywhere, and says how to write them", async () => {
    for (const args of [
      ["runs", "state", "sweep/mlp-a", "complete"],
      ["runs", "end", "sweep/mlp-a", "--state", "failed"],
      ["runs", "create", "lower", "-e", "sweep", "--state", "new"],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toMatch(/Unknown state "\w+" \(did you mean [A-Z]+\?\)/);
    }
    const jsonl = await cli(
      ["log", "--jsonl"],
      `${JSON.stringify({ run: "sweep/mlp-a", state: "complete" })}\n`,
    );
    expect(jsonl.code).toBe(1);
    expect(jsonl.stderr).toContain('stdin line 1: Unknown state "complete" (did you mean COMPLETE?)');
    expect((await cli(["runs", "state", "sweep/mlp-a", "COMPLETE"])).code).toBe(0);
  });

  // Guards against `--wall-time 1700000000000` working while the same string in --jsonl failed.
  it("reads wall times the same way in --wall-time and in --jsonl", async () => {
    const ms = "1700000000000";
    expect(
      (await cli(["log", "series", "-r", "sweep/mlp-a", "--step", "1", "--wall-time", ms, "loss=1"])).code,
    ).toBe(0);
    const line = JSON.stringify({ run: "sweep/mlp-b", series: { loss: 1 }, step: 1, wall_time: ms });
    expect((await cli(["log", "--jsonl"], `${line}\n`)).code).toBe(0);
    const iso = JSON.stringify({
      run: "sweep/logreg-a",
      series: { loss: 1 },
      step: 1,
      wall_time: "2023-11-14T22:13:20Z",
    });
    expect((await cli(["log", "--jsonl"], `${iso}\n`)).code).toBe(0);
    const out = await exprunJson<{ run_name: string; wall_time: string }[]>(
      [...store, "export", "-e", "sweep", "--time-series", "--format", "json"],
      { cwd: tmp.dir },
    );
    expect(out.map((r) => [r.run_name, r.wall_time])).toEqual([
      ["mlp-a", "2023-11-14T22:13:20.000Z"],
      ["mlp-b", "2023-11-14T22:13:20.000Z"],
      ["logreg-a", "2023-11-14T22:13:20.000Z"],
    ]);
    for (const bad of ["1e16", "someday", "99999999999999999"]) {
      const flag = await cli(["log", "series", "-r", "sweep/mlp-a", "--wall-time", bad, "loss=1"]);
      expect(flag.code, bad).toBe(1);
      const piped = await cli(
        ["log", "--jsonl"],
        `${JSON.stringify({ run: "sweep/mlp-a", series: { loss: 1 }, wall_time: bad })}\n`,
      );
      expect(piped.code, bad).toBe(1);
      // One parser (core's): the same message, naming the flag or the key.
      const message = flag.stderr.replace(/^\[exprun\] /, "").trim();
      expect(message).toContain("--wall-time");
      expect(piped.stderr).toContain(message.replaceAll("--wall-time", '"wall_time"'));
    }
  });
});

describe("runs tag and runs note", () => {
  it("sets and deletes tags, which filter, sort, columns, show, compare and export read", async () => {
    const tagged = await exprunJson<{ tags: Record<string, string> }>(
      [...store, "runs", "tag", "sweep/mlp-b", "team=vision", "stage=candidate", "code=007"],
      { cwd: tmp.dir },
    );
    expect(tagged.tags).toEqual({ team: "vision", stage: "candidate", code: "007" });
    const deleted = await cli(["runs", "tag", "sweep/mlp-b", "--delete", "stage", "--delete", "absent"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(/│ team\s+│ vision\s+│/);
    expect(deleted.stdout).not.toContain("candidate");
    expect((await cli(["runs", "tag", "sweep/logreg-a", "team=nlp"])).code).toBe(0);
    expect(await names(["--filter", "tags.team = 'vision'"])).toEqual(["mlp-b"]);
    expect(await names(["--filter", "tag.team IN ('vision', 'nlp')", "--sort", "tag.team"])).toEqual([
      "logreg-a",
      "mlp-b",
    ]);
    const columns = await exprunJson<Record<string, unknown>[]>(
      [...store, "runs", "list", "-e", "sweep", "--columns", "run,tag.team", "--filter", "tag.team != ''"],
      { cwd: tmp.dir },
    );
    expect(columns).toEqual([
      { run: "mlp-b", "tag.team": "vision" },
      { run: "logreg-a", "tag.team": "nlp" },
    ]);
    const shown = await cli(["runs", "show", "sweep/mlp-b"]);
    expect(shown.stdout).toContain("Tags");
    const compared = await exprunJson<{ rows: { key: string; values: unknown[] }[] }>(
      [...store, "compare", "sweep/mlp-b", "sweep/logreg-a"],
      { cwd: tmp.dir },
    );
    expect(compared.rows.find((r) => r.key === "tag.team")?.values).toEqual(["vision", "nlp"]);
    const csv = (await cli(["export", "-e", "sweep"])).stdout.split("\n");
    expect(csv[0]).toMatch(/,tag\.team,tag\.code$/);
    expect((await cli(["runs", "tag", "sweep/mlp-b", "novalue"])).code).toBe(1);
  });

  it("sets, prints and clears a run's note", async () => {
    expect((await cli(["runs", "note", "sweep/mlp-a", "best", "so", "far"])).code).toBe(0);
    expect((await cli(["runs", "note", "sweep/mlp-a"])).stdout).toBe("best so far\n");
    const piped = await cli(["runs", "note", "sweep/mlp-a", "-"], "from stdin\nline two\n");
    expect(piped.code, piped.stderr).toBe(0);
    const shown = await exprunJson<{ description: string }>([...store, "runs", "show", "sweep/mlp-a"], {
      cwd: tmp.dir,
    });
    expect(shown.description).toBe("from stdin\nline two");
    expect((await cli(["runs", "show", "sweep/mlp-a"])).stdout).toMatch(/│ note\s+│ from stdin\\nline two/);
    expect((await cli(["runs", "note", "sweep/mlp-a", "--clear"])).code).toBe(0);
    expect((await cli(["runs", "note", "sweep/mlp-a"])).stdout).toBe("(no note)\n");
  });
});
