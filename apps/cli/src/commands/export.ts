import { writeFile } from "node:fs/promises";
import {
  type Backend,
  buildExperimentDataFrame,
  buildTimeSeriesDataFrame,
  collectPages,
  NotFoundError,
  readSeriesPoints,
} from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { UsageError } from "../errors.js";
import { toCsv } from "../format/csv.js";
import { toJson } from "../format/json.js";
import { action, examples } from "./action.js";

const FORMATS = ["csv", "json", "jsonl"] as const;
type Format = (typeof FORMATS)[number];

export function registerExport(program: Command, io: CliIo): void {
  program
    .command("export")
    .description(
      "the experiment DataFrame (one row per run) or the runs' time series, as CSV, JSON or JSON lines",
    )
    .option(
      "-e, --experiment <name...>",
      "experiments to export (default: $EXPRUN_EXPERIMENT, else every experiment)",
    )
    .option("--format <format>", "csv | json | jsonl", "csv")
    .option("--time-series", "export every time-series point: one row per (run, step, wall_time)")
    .option("-o, --out <file>", "write to FILE instead of stdout")
    .addHelpText(
      "after",
      `
Columns are Python's (aiplatform.get_experiment_df): experiment_name, run_name, run_type, state,
param.*, metric.*, time_series_metric.* (latest value). With --time-series: experiment_name,
run_name, step, wall_time, then one column per metric (Python's get_time_series_data_frame).
CSV is written as pandas' df.to_csv(index=False) writes it, so pd.read_csv reads back the same frame.
JSON keeps NaN/Infinity as {"$float":"NaN"}; dates are ISO-8601.
${examples(
  "exprun export -e demo --out runs.csv            # then: pandas.read_csv('runs.csv')",
  "exprun export -e demo --time-series --format jsonl > series.jsonl",
)}`,
    )
    .action(
      action(io, async (ctx, opts) => {
        const format = String(opts.format) as Format;
        if (!FORMATS.includes(format))
          throw new UsageError(
            `--format must be one of ${FORMATS.join(", ")}; got ${JSON.stringify(opts.format)}.`,
          );
        const backend = await ctx.existingBackend();
        const chosen =
          (opts.experiment as string[] | undefined) ??
          (ctx.defaultExperiment() ? [ctx.defaultExperiment()!] : undefined);
        const experiments = await experimentNames(backend, chosen);
        const { columns, rows, integers } =
          opts.timeSeries === true
            ? await timeSeriesFrame(backend, experiments)
            : await experimentFrame(backend, experiments);
        let text: string;
        if (format === "csv") text = toCsv(columns, rows, integers);
        else if (format === "json") text = `${toJson(rows.map((r) => ordered(r, columns)))}\n`;
        else text = rows.map((r) => toJson(ordered(r, columns), 0)).join("\n") + (rows.length ? "\n" : "");
        if (opts.out) {
          await writeFile(String(opts.out), text);
          ctx.note(`Wrote ${rows.length} row(s) × ${columns.length} column(s) to ${String(opts.out)}.`);
        } else {
          ctx.io.stdout.write(text);
        }
      }),
    );
}

async function experimentNames(backend: Backend, chosen: string[] | undefined): Promise<string[]> {
  if (!chosen) return (await collectPages((page) => backend.listExperiments(page))).map((e) => e.name);
  for (const name of chosen) {
    if (!(await backend.getExperiment(name))) {
      throw new NotFoundError(
        `Experiment ${JSON.stringify(name)} was not found. List the experiments with: exprun experiments list`,
        {
          backend: backend.name,
        },
      );
    }
  }
  return chosen;
}

type Row = Record<string, unknown>;

async function experimentFrame(backend: Backend, experiments: string[]) {
  const rows: Row[] = [];
  for (const name of experiments) {
    const runs = await collectPages((page) =>
      backend.listRuns(name, { ...page, withLatestTimeSeries: true }),
    );
    rows.push(...buildExperimentDataFrame(name, runs));
  }
  const fixed = ["experiment_name", "run_name", "run_type", "state"];
  const groups: Record<string, Set<string>> = {
    "param.": new Set(),
    "metric.": new Set(),
    "time_series_metric.": new Set(),
  };
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      const prefix = Object.keys(groups).find((p) => key.startsWith(p));
      if (prefix) groups[prefix]!.add(key);
    }
  }
  const columns = [...fixed, ...Object.values(groups).flatMap((s) => [...s])];
  return { columns, rows, integers: new Set<string>() };
}

async function timeSeriesFrame(backend: Backend, experiments: string[]) {
  const rows: Row[] = [];
  const metrics = new Set<string>();
  for (const name of experiments) {
    const runs = await collectPages((page) => backend.listRuns(name, page));
    for (const run of runs) {
      const frame = buildTimeSeriesDataFrame(
        await readSeriesPoints(backend, { experiment: name, run: run.name }),
      );
      for (const r of frame) {
        for (const key of Object.keys(r)) if (key !== "step" && key !== "wall_time") metrics.add(key);
        rows.push({ experiment_name: name, run_name: run.name, ...r });
      }
    }
  }
  const columns = ["experiment_name", "run_name", "step", "wall_time", ...metrics];
  return { columns, rows, integers: new Set(["step"]) };
}

function ordered(row: Row, columns: string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c] ?? null;
  return out;
}
