import path from "node:path";
import { pathToFileURL } from "node:url";
import { createFileBackend } from "@exprun/backend-file";
import { Artifact, Experiment, ExperimentRun } from "@exprun/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleWidth } from "../src/format/table.js";
import { exprun, exprunJson, tempDir } from "./helpers/cli.js";

// What a hostile or careless writer can put into a store: clear the screen, write the clipboard
// (OSC 52), hide what follows, return to the line start, reverse the text.
const CLEAR = "\u001b[2J";
const CLIPBOARD = "\u001b]52;c;aGVsbG8=\u0007";
const HIDE = "\u001b[8m";
const CR = "\r";
const BIDI = "\u202e";
const HOSTILE = [CLEAR, CLIPBOARD, HIDE, CR, BIDI];
const evilKey = `key${HIDE}`;
const evilValue = `val${CR}ue${CLIPBOARD}`;
const evilMetric = `m${CLEAR}`;
const evilSeries = `loss${BIDI}`;
const LONG = "x".repeat(8192);

const tmp = tempDir();
const root = path.join(tmp.dir, "store");
const store = ["--backend", `file:${root}`];
const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  exprun([...store, ...args], { env, cwd: tmp.dir });

beforeAll(async () => {
  const backend = createFileBackend({ root, fsync: false });
  await Experiment.create("evil", { backend, description: `desc${CLEAR}${CLIPBOARD}` });
  for (const name of ["r1", "r2"]) {
    const run = await ExperimentRun.create(name, { backend, experiment: "evil" });
    await run.logParams({ [evilKey]: `${evilValue}${name}`, plain: name === "r1" ? 1 : 2 });
    await run.logMetrics({ [evilMetric]: 0.5, text: `x${HIDE}y` });
    await run.logTimeSeriesMetrics({ [evilSeries]: 0.3 }, { step: 1 });
    await run.logTimeSeriesMetrics({ [evilSeries]: 0.2 }, { step: 2 });
    await run.logClassificationMetrics({
      displayName: `cm${CLEAR}`,
      labels: [`a${HIDE}`, "b"],
      matrix: [
        [1, 2],
        [3, 4],
      ],
    });
    const artifact = await Artifact.create({
      backend,
      schemaTitle: "system.Dataset",
      displayName: `data${CLIPBOARD}`,
      uri: "gs://b/x",
    });
    await run.associateArtifacts([artifact]);
  }
  // Wide and long cells.
  const wide = await ExperimentRun.create("wide", { backend, experiment: "cells" });
  await wide.logParams({ name: "学习率", emoji: "🚀🚀", long: LONG, note: "plain" });
  const narrow = await ExperimentRun.create("narrow", { backend, experiment: "cells" });
  await narrow.logParams({ name: "lr", emoji: "ok", long: "short", note: '=HYPERLINK("http://x")' });
  await backend.close?.();
});
afterAll(() => tmp.remove());

/** Control characters a terminal acts on; a line break is the only one allowed through. */
const TTY_HOOK = pathToFileURL(path.join(import.meta.dirname, "helpers", "stdout-tty.mjs")).href;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the test.
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("store text on the terminal", () => {
  const commands: [string, string[]][] = [
    ["runs list", ["runs", "list", "-e", "evil"]],
    ["runs list --columns", ["runs", "list", "-e", "evil", "--columns", `run,param.${evilKey},metric.text`]],
    ["runs show", ["runs", "show", "evil/r1"]],
    ["compare", ["compare", "evil/r1", "evil/r2"]],
    ["experiments list", ["experiments", "list"]],
    ["experiments show", ["experiments", "show", "evil"]],
    ["plot", ["plot", "evil/r1", "evil/r2"]],
    ["a sort error quoting metric names", ["runs", "list", "-e", "evil", "--sort", "metric.nope"]],
    ["a plot error quoting series names", ["plot", "-e", "evil", "--metric", "nope"]],
  ];

  // Guards against ESC[2J, OSC 52, ESC[8m, CR and bidi overrides in names, keys, values and
  // descriptions reaching the terminal as they are.
  it.each(commands)("%s escapes every control character", async (_name, args) => {
    const result = await cli(args);
    const output = result.stdout + result.stderr;
    expect(output, output).not.toMatch(RAW_CONTROL);
    expect(output.length).toBeGreaterThan(0);
  });

  it("shows what the characters were, as escapes", async () => {
    const shown = (await cli(["runs", "show", "evil/r1"])).stdout;
    expect(shown).toContain("key\\u001b[8m");
    expect(shown).toContain("val\\rue\\u001b]52;c;aGVsbG8=\\u0007r1");
    expect(shown).toContain("m\\u001b[2J");
    expect(shown).toContain("loss\\u202e");
    expect(shown).toContain("data\\u001b]52");
    const experiments = (await cli(["experiments", "show", "evil"])).stdout;
    expect(experiments).toContain("desc\\u001b[2J\\u001b]52");
  });

  it("keeps only its own colour codes when colour is on", async () => {
    for (const args of [commands[0]![1], commands[2]![1], commands[3]![1], commands[6]![1]]) {
      const result = await cli(args, { NO_COLOR: undefined, FORCE_COLOR: "1" });
      expect(result.stdout).toContain("\u001b[");
      // Every ESC starts an SGR colour sequence (ESC [ digits m); the store's ESC[2J and OSC 52 are escaped.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping our own SGR codes.
      const stripped = result.stdout.replace(/\u001b\[[0-9;]*m/g, "");
      expect(stripped, args.join(" ")).not.toMatch(RAW_CONTROL);
    }
  });

  it("keeps --json exact", async () => {
    const shown = await exprunJson<{
      params: Record<string, unknown>;
      metrics: Record<string, unknown>;
      timeSeries: Record<string, unknown>;
    }>([...store, "runs", "show", "evil/r1"], { cwd: tmp.dir });
    expect(shown.params).toEqual({ [evilKey]: `${evilValue}r1`, plain: 1 });
    expect(shown.metrics).toEqual({ [evilMetric]: 0.5, text: `x${HIDE}y` });
    expect(Object.keys(shown.timeSeries)).toEqual([evilSeries]);
    for (const c of HOSTILE) expect(JSON.stringify(shown)).toContain(JSON.stringify(c).slice(1, -1));
  });

  it("writes CSV as pandas does by default, raw bytes included", async () => {
    const csv = (await cli(["export", "-e", "evil"])).stdout;
    expect(csv).toContain(`${evilValue}r1`);
  });

  // A terminal would act on the raw bytes (OSC 52 writes the clipboard): shown escaped there only.
  it("escapes the store's control characters when export prints to a terminal", async () => {
    const tty = { cwd: tmp.dir, nodeArgs: ["--import", TTY_HOOK] };
    for (const format of ["csv", "json", "jsonl"]) {
      const shown = (await exprun([...store, "export", "-e", "evil", "--format", format], tty)).stdout;
      expect(shown, format).not.toMatch(RAW_CONTROL);
      // CSV cells escaped by exprun, JSON strings by JSON itself: the same text either way.
      expect(shown, format).toContain("val\\rue\\u001b]52;c;aGVsbG8=\\u0007r1");
    }
  });

  it("escapes C1 controls and bidi overrides in --json too (C0 controls are JSON's own escapes)", async () => {
    const result = await cli(["runs", "show", "evil/r1", "--json"]);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stdout).toContain("loss\\u202e");
    expect(Object.keys(JSON.parse(result.stdout).timeSeries)).toEqual([evilSeries]);
  });
});

describe("--excel-safe CSV", () => {
  // Formula injection: =HYPERLINK(…) logged as a param runs when a spreadsheet opens the CSV.
  it("prefixes text cells that start a formula with ', and only with --excel-safe", async () => {
    const plain = (await cli(["export", "-e", "cells"])).stdout;
    expect(plain).toContain(',"=HYPERLINK(""http://x"")"');
    const safe = (await cli(["export", "-e", "cells", "--excel-safe"])).stdout;
    expect(safe).toContain(',"\'=HYPERLINK(""http://x"")"');
    expect(safe.split("\n")[0]).toBe(plain.split("\n")[0]);
    expect((await cli(["export", "-e", "cells", "--excel-safe", "--format", "json"])).code).toBe(1);
    expect((await cli(["export", "--help"])).stdout).toContain("Formula injection");
  });
});

describe("tables", () => {
  // Guards against CJK and emoji values pushing the borders out of line.
  it("aligns CJK and emoji cells by their display width", async () => {
    const result = await cli([
      "runs",
      "list",
      "-e",
      "cells",
      "--columns",
      "run,param.name,param.emoji,param.note",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.some((l) => l.includes("学习率"))).toBe(true);
    expect(new Set(lines.map(visibleWidth)).size).toBe(1);
  });

  // Guards against an 8 KB param printing 8 KB per row (16 MB for a few runs).
  it("cuts long cells with an ellipsis in tables and shows them whole in --json", async () => {
    const list = await cli(["runs", "list", "-e", "cells"]);
    expect(list.code).toBe(0);
    for (const line of list.stdout.split("\n")) expect(visibleWidth(line)).toBeLessThan(400);
    expect(list.stdout).toContain("x…");
    const show = await cli(["runs", "show", "cells/wide"]);
    expect(show.stdout).toContain("x…");
    expect(show.stdout.length).toBeLessThan(4000);
    const json = await exprunJson<{ params: Record<string, string> }>(
      [...store, "runs", "show", "cells/wide"],
      {
        cwd: tmp.dir,
      },
    );
    expect(json.params.long).toBe(LONG);
  });
});

describe("--json with --columns", () => {
  // Guards against --json ignoring --columns (the README shows exactly this combination).
  it("prints exactly the chosen columns, in order, null where a run lacks one", async () => {
    const rows = await exprunJson<Record<string, unknown>[]>(
      [...store, "runs", "list", "-e", "cells", "--columns", "run,param.name,state,param.missing,created"],
      { cwd: tmp.dir },
    );
    expect(rows.map((r) => Object.keys(r))).toEqual([
      ["run", "param.name", "state", "param.missing", "created"],
      ["run", "param.name", "state", "param.missing", "created"],
    ]);
    expect(rows[0]).toMatchObject({
      run: "wide",
      "param.name": "学习率",
      state: "RUNNING",
      "param.missing": null,
    });
    expect(rows[0]!.created).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
