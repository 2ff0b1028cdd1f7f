import { readFileSync } from "node:fs";
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

// Tags and notes on a store that keeps them (a memory store seeded in the CLI's process, see
// helpers/memory-seed.mjs; its records are written out when the command exits).
const MEMSEED = new URL("./helpers/memory-seed.mjs", import.meta.url).href;
const seeded = (args: string[], input?: string) => {
  const records = path.join(tmp.dir, `records-${Math.random().toString(36).slice(2)}.json`);
  return exprun([...args, "--backend", "memseed:"], {
    cwd: tmp.dir,
    nodeArgs: ["--import", MEMSEED],
    env: { EXPRUN_MEMSEED_RECORDS: records },
    ...(input === undefined ? {} : { input }),
  }).then((result) => ({
    ...result,
    records: () =>
      JSON.parse(readFileSync(records, "utf8")) as {
        name: string;
        tags: Record<string, string>;
        description: string;
      }[],
  }));
};

describe("runs tag and runs note", () => {
  it("sets and deletes tags", async () => {
    const tagged = await seeded([
      "runs",
      "tag",
      "kept/legacy",
      "stage=candidate",
      "code=007",
      "--delete",
      "origin",
      "--delete",
      "absent",
    ]);
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(tagged.stdout).toMatch(/│ code\s+│ 007\s+│/);
    expect(tagged.stderr).toContain("Set 2 and deleted 1 tag(s) of kept/legacy.");
    expect(tagged.records().find((r) => r.name === "legacy")!.tags).toEqual({
      team: "vision",
      stage: "candidate",
      code: "007",
    });
    const json = await seeded(["runs", "tag", "kept/modern", "--json"]);
    expect(JSON.parse(json.stdout).tags).toEqual({ team: "vision", origin: "modern" });
    expect((await seeded(["runs", "tag", "kept/legacy", "novalue"])).code).toBe(1);
    expect((await seeded(["runs", "tag", "kept/legacy", "a=1", "--delete", "a"])).code).toBe(1);
  });

  it("makes tags readable by filter, sort, columns, show, compare and export", async () => {
    const list = await seeded([
      "runs",
      "list",
      "--filter",
      "tags.origin IN ('legacy', 'modern') and tag.team = 'vision'",
      "--sort",
      "-tag.origin",
      "--columns",
      "run,tag.origin",
      "--json",
    ]);
    expect(JSON.parse(list.stdout)).toEqual([
      { run: "modern", "tag.origin": "modern" },
      { run: "legacy", "tag.origin": "legacy" },
    ]);
    const shown = await seeded(["runs", "show", "kept/legacy"]);
    expect(shown.stdout).toMatch(/Tags\n┌/);
    expect(shown.stdout).toMatch(/│ note\s+│ the legacy run/);
    const compared = JSON.parse(
      (await seeded(["compare", "kept/legacy", "kept/modern", "--json"])).stdout,
    ) as {
      rows: { key: string; values: unknown[] }[];
    };
    expect(compared.rows.find((r) => r.key === "tag.origin")?.values).toEqual(["legacy", "modern"]);
    const csv = (await seeded(["export", "-e", "kept"])).stdout.split("\n");
    expect(csv[0]).toMatch(/,tag\.team,tag\.origin$/);
  });

  it("sets, prints and clears a run's note", async () => {
    const set = await seeded(["runs", "note", "kept/legacy", "best", "so", "far"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.records().find((r) => r.name === "legacy")!.description).toBe("best so far");
    expect((await seeded(["runs", "note", "kept/modern"])).stdout).toBe("the modern run\n");
    const piped = await seeded(["runs", "note", "kept/legacy", "-"], "from stdin\nline two\n");
    expect(piped.records().find((r) => r.name === "legacy")!.description).toBe("from stdin\nline two");
    const cleared = await seeded(["runs", "note", "kept/legacy", "--clear"]);
    expect(cleared.records().find((r) => r.name === "legacy")!.description).toBe("");
  });
});
