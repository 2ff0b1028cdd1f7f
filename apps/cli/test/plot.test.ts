import path from "node:path";
import { createFileBackend } from "@exprun/backend-file";
import { ExperimentRun } from "@exprun/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleWidth } from "../src/format/table.js";
import { exprun, exprunJson, tempDir } from "./helpers/cli.js";

const RUNS = 30;
const tmp = tempDir();
const root = path.join(tmp.dir, "store");
const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  exprun(["--backend", `file:${root}`, ...args], { env, cwd: tmp.dir });

beforeAll(async () => {
  const backend = createFileBackend({ root, fsync: false });
  // 30 runs of 20 steps; run k ends at loss 1/(k+1) and accuracy k/30, so the best are known.
  for (let k = 0; k < RUNS; k++) {
    const run = await ExperimentRun.create(`run-${String(k).padStart(2, "0")}`, {
      backend,
      experiment: "sweep",
    });
    for (let step = 1; step <= 20; step++) {
      await run.logTimeSeriesMetrics(
        { loss: 1 / (k + 1) + (20 - step) / 20, accuracy: (k / RUNS) * (step / 20) },
        { step, wallTime: 1_700_000_000_000 + step },
      );
    }
  }
  // One spike among 20,000 points: a chart of 60 columns puts ~400 steps in a column.
  const spiky = await ExperimentRun.create("spiky", { backend, experiment: "spikes" });
  const writes = Array.from({ length: 20_000 }, (_, step) => ({
    step,
    wallTime: 1_700_000_000_000 + step,
    values: { loss: step === 10_001 ? 10 : 0.5 },
  }));
  await backend.appendTimeSeries(spiky.ref, writes);
  await backend.close?.();
});
afterAll(() => tmp.remove());

const chartLines = (stdout: string) => stdout.split("\n").filter((l) => / ┤/.test(l));

describe("plot", () => {
  // Guards against "No time series named nope…" with exit code 0.
  it("exits 1 for a metric no run has, naming the metrics they have", async () => {
    for (const args of [
      ["plot", "-e", "sweep", "--metric", "nope"],
      ["plot", "sweep/run-01", "--metric", "loss", "nope"],
      ["plot", "-e", "sweep", "--metric", "nope", "--json"],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stderr).toContain('No time series named "nope"');
      expect(result.stderr).toContain("Their metrics: accuracy, loss.");
    }
  });

  // Guards against one column per step: 20 steps drew 20 columns even with --width 80.
  it("fits the chart to --width", async () => {
    for (const width of [60, 80, 120]) {
      const result = await cli([
        "plot",
        "sweep/run-01",
        "sweep/run-02",
        "-m",
        "loss",
        "--width",
        String(width),
      ]);
      expect(result.code, result.stderr).toBe(0);
      const lines = chartLines(result.stdout);
      expect(lines).toHaveLength(12);
      for (const line of lines) expect(visibleWidth(line)).toBe(width);
      for (const line of result.stdout.split("\n")) expect(visibleWidth(line)).toBeLessThanOrEqual(width);
    }
  });

  // Guards against series that cannot be told apart without colour (pipes, NO_COLOR).
  it("draws each run with its own marker without colour, and shows it in the legend", async () => {
    const result = await cli(["plot", "sweep/run-00", "sweep/run-29", "-m", "loss", "--width", "60"]);
    expect(result.stdout).not.toContain("\u001b[");
    expect(result.stdout).toContain("  * run-00   + run-29");
    const plot = chartLines(result.stdout).join("\n");
    expect(plot).toContain("*");
    expect(plot).toContain("+");
    const coloured = await cli(["plot", "sweep/run-00", "sweep/run-29", "-m", "loss"], {
      NO_COLOR: undefined,
      FORCE_COLOR: "1",
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the legend's colour codes are the point.
    expect(coloured.stdout).toMatch(/\u001b\[3\dm──\u001b\[39m run-00/);
  });

  // Guards against 1,000 runs giving an 18 KB one-line legend.
  it("plots the best 10 runs by default, wraps the legend and says how many were left out", async () => {
    const result = await cli(["plot", "-e", "sweep", "-m", "loss", "accuracy", "--width", "80"]);
    expect(result.code, result.stderr).toBe(0);
    const [loss, accuracy] = result.stdout.split("\naccuracy\n");
    // loss: lower is better, so run-29 … run-20; accuracy: higher is better, the same runs.
    for (const chart of [loss!, accuracy!]) {
      for (let k = 20; k < RUNS; k++) expect(chart).toContain(`run-${k}`);
      for (let k = 0; k < 20; k++) expect(chart).not.toContain(`run-${String(k).padStart(2, "0")} `);
      expect(chart).toContain("20 more run(s) left out: showing the best 10");
    }
    expect(loss).toContain("(lowest first)");
    expect(accuracy).toContain("(highest first)");
    for (const line of result.stdout.split("\n")) expect(visibleWidth(line)).toBeLessThanOrEqual(80);
    const legend = loss!.split("\n").filter((l) => /^ {2}\S/.test(l) && !l.includes("left out"));
    expect(legend.length).toBeGreaterThan(1);
    const top3 = await cli(["plot", "-e", "sweep", "-m", "loss", "--top", "3", "--best", "max"]);
    expect(top3.stdout).toContain("27 more run(s) left out: showing the best 3 by last loss (highest first)");
    expect(top3.stdout).toContain("run-00");
    const all = await cli(["plot", "-e", "sweep", "-m", "loss", "--top", "0"]);
    expect(all.stdout).not.toContain("left out");
  });

  // Guards against a chart that samples (the last point of a column wins) and hides a spike.
  it("draws from core's min/max envelope, so a one-step spike among 20,000 points shows", async () => {
    const result = await cli(["plot", "spikes/spiky", "-m", "loss", "--width", "60", "--height", "8"]);
    expect(result.code, result.stderr).toBe(0);
    const lines = chartLines(result.stdout);
    expect(lines[0]).toMatch(/^\s*10 ┤/);
    expect(lines[0]!.slice(lines[0]!.indexOf("┤") + 1)).toContain("*");
    const coloured = await cli(["plot", "spikes/spiky", "-m", "loss", "--width", "60", "--height", "8"], {
      NO_COLOR: undefined,
      FORCE_COLOR: "1",
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes stripped to read the chart.
    const top = chartLines(coloured.stdout.replace(/\u001b\[[0-9;]*m/g, ""))[0]!;
    expect(top.slice(top.indexOf("┤") + 1)).toMatch(/[│╮╯╭╰─]/);
  });

  it("gives every run in --json unless --top is given", async () => {
    const all = await exprunJson<{ metric: string; runs: unknown[] }[]>([
      "--backend",
      `file:${root}`,
      "plot",
      "-e",
      "sweep",
      "-m",
      "loss",
    ]);
    expect(all[0]!.runs).toHaveLength(RUNS);
    const top = await exprunJson<{ metric: string; runs: { run: string }[]; leftOut: number }[]>([
      "--backend",
      `file:${root}`,
      "plot",
      "-e",
      "sweep",
      "-m",
      "loss",
      "--top",
      "2",
    ]);
    expect(top[0]!.runs.map((r) => r.run)).toEqual(["sweep/run-29", "sweep/run-28"]);
    expect(top[0]!.leftOut).toBe(28);
  });
});
