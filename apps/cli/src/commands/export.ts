import { once } from "node:events";
import { createWriteStream } from "node:fs";
import {
  buildTimeSeriesDataFrame,
  type CheckedBackend,
  collectPages,
  dataFrameColumns,
  Experiment,
  ExperimentRun,
  type SeriesPoint,
  type TimeSeriesDataFrameRow,
} from "@exprun/core";
import type { Command } from "commander";
import type { CliIo, Context } from "../context.js";
import { UsageError } from "../errors.js";
import { toCsv } from "../format/csv.js";
import { toJson } from "../format/json.js";
import { safeLines } from "../format/safe.js";
import { requireExperimentRecord } from "../resolve.js";
import { action, examples } from "./action.js";

const FORMATS = ["csv", "json", "jsonl"] as const;
type Format = (typeof FORMATS)[number];
type Row = Record<string, unknown>;

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
    .option("--excel-safe", "CSV for spreadsheets: text cells starting = + - @ get a leading ' (see below)")
    .option("-o, --out <file>", "write to FILE instead of stdout")
    .addHelpText(
      "after",
      `
Columns are Python's (aiplatform.get_experiment_df): experiment_name, run_name, run_type, state,
param.*, metric.*, time_series_metric.* (latest value); several experiments are concatenated as
pandas.concat does. With --time-series: experiment_name, run_name, step, wall_time, then one column
per metric (Python's get_time_series_data_frame); it is written run by run, a long run a window of
steps at a time, so memory stays small.
CSV is written as pandas' df.to_csv(index=False) writes it, so pd.read_csv reads back the same frame.
JSON keeps NaN/Infinity as {"$float":"NaN"}; dates are ISO-8601.
Into a pipe or with --out the bytes are exact; printed on a terminal, control characters from the
store (ESC, CR, tabs, bidi overrides) are shown as \u001b, \r, … so that they cannot act on it.

Formula injection: a spreadsheet (Excel, LibreOffice, Google Sheets) treats a cell starting with =, +,
-, @ (or a tab or CR) as a formula, so a param value like =HYPERLINK(...) logged by anyone runs when
the CSV is opened there. The default CSV is exactly what pandas writes (for pd.read_csv); pass
--excel-safe for a CSV meant for a spreadsheet: such text cells get a leading ' (numbers never do).
${examples(
  "exprun export -e demo --out runs.csv            # then: pandas.read_csv('runs.csv')",
  "exprun export -e demo --excel-safe --out runs-for-excel.csv",
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
        if (opts.excelSafe === true && format !== "csv")
          throw new UsageError("--excel-safe applies to CSV only; drop it or use --format csv.");
        const backend = await ctx.existingBackend();
        const chosen =
          (opts.experiment as string[] | undefined) ??
          (ctx.defaultExperiment() ? [ctx.defaultExperiment()!] : undefined);
        const experiments = await experimentNames(backend, chosen);
        const out = await openOutput(ctx, opts.out === undefined ? undefined : String(opts.out));
        const writer = new FrameWriter(format, out.write, opts.excelSafe === true);
        try {
          if (opts.timeSeries === true) await writeTimeSeries(backend, experiments, writer);
          else await writeExperimentFrame(backend, experiments, writer);
          await writer.end();
        } finally {
          await out.close();
        }
        if (opts.out !== undefined) {
          ctx.note(
            `Wrote ${writer.rows} row(s) × ${writer.columns.length} column(s) to ${String(opts.out)}.`,
          );
        }
      }),
    );
}

async function experimentNames(backend: CheckedBackend, chosen: string[] | undefined): Promise<string[]> {
  if (!chosen) return (await collectPages((page) => backend.listExperiments(page))).map((e) => e.name);
  for (const name of chosen) await requireExperimentRecord(backend, name);
  return chosen;
}

/** Python's experiment DataFrame of each experiment (core builds it), concatenated. */
async function writeExperimentFrame(backend: CheckedBackend, experiments: string[], writer: FrameWriter) {
  const frames: Row[][] = [];
  for (const name of experiments) frames.push(await (await Experiment.get(name, { backend })).getDataFrame());
  // pandas.concat: the first frame's columns, then each later frame's new ones, in order.
  const columns = new Set<string>(dataFrameColumns([]));
  for (const frame of frames) for (const c of dataFrameColumns(frame)) columns.add(c);
  writer.start([...columns], new Set());
  for (const frame of frames) for (const row of frame) await writer.row(row);
}

/**
 * Every run's time-series DataFrame (core builds the rows) with `experiment_name` and `run_name` in
 * front. The header needs every metric name first, which the runs' latest points give without reading
 * the series; then the runs are read and written one at a time ({@link runRows}).
 */
async function writeTimeSeries(backend: CheckedBackend, experiments: string[], writer: FrameWriter) {
  const runs: { experiment: string; name: string }[] = [];
  const metrics = new Set<string>();
  for (const experiment of experiments) {
    const records = await collectPages((page) =>
      backend.listRuns(experiment, { ...page, withLatestTimeSeries: true }),
    );
    for (const record of records) {
      runs.push({ experiment, name: record.name });
      for (const metric of Object.keys(record.latestTimeSeries ?? {})) metrics.add(metric);
    }
  }
  writer.start(["experiment_name", "run_name", "step", "wall_time", ...metrics], new Set(["step"]));
  for (const { experiment, name } of runs) {
    const run = await ExperimentRun.get(name, { backend, experiment });
    for await (const rows of runRows(run)) {
      for (const row of rows) await writer.row({ experiment_name: experiment, run_name: name, ...row });
    }
  }
}

/** Points held at once while exporting a run's series (rows are built a window of steps at a time). */
export const EXPORT_WINDOW_POINTS = 100_000;

/**
 * A run's DataFrame rows, sorted by step then wall time, in pieces of at most about
 * {@link EXPORT_WINDOW_POINTS} points: a run that small is read once; a larger one is cut into step
 * windows (from core's downsampled read, which counts the points per stretch of steps) and each window
 * is read, turned into rows and written before the next is read. Rows of one step are never split.
 */
export async function* runRows(run: ExperimentRun): AsyncIterable<TimeSeriesDataFrameRow[]> {
  const points: SeriesPoint[] = [];
  let small = true;
  for await (const chunk of run.readTimeSeries()) {
    for (let i = 0; i < chunk.steps.length; i++) {
      points.push({
        metric: chunk.metric,
        step: chunk.steps[i]!,
        wallTime: chunk.wallTimes[i]!,
        value: chunk.values[i]!,
      });
    }
    if (points.length > EXPORT_WINDOW_POINTS) {
      small = false;
      break;
    }
  }
  if (small) {
    yield buildTimeSeriesDataFrame(points);
    return;
  }
  points.length = 0;
  for (const steps of await stepWindows(run)) {
    yield buildTimeSeriesDataFrame(await readSeriesPointsOf(run, steps));
  }
}

/** Step ranges that each hold about {@link EXPORT_WINDOW_POINTS} points, in order, covering every step. */
async function stepWindows(run: ExperimentRun): Promise<{ from: number; to: number }[]> {
  const { series } = await run.getTimeSeries({ buckets: 1000 });
  const edges: { start: number; count: number }[] = [];
  let lastStep = Number.NEGATIVE_INFINITY;
  for (const m of series) {
    for (let i = 0; i < m.buckets.length; i++)
      edges.push({ start: Math.floor(m.buckets.start[i]!), count: m.buckets.count[i]! });
    if (m.last && m.last.step > lastStep) lastStep = m.last.step;
  }
  edges.sort((a, b) => a.start - b.start);
  const windows: { from: number; to: number }[] = [];
  let from = Number.NEGATIVE_INFINITY;
  let held = 0;
  for (const edge of edges) {
    if (held > 0 && held + edge.count > EXPORT_WINDOW_POINTS && edge.start > from) {
      windows.push({ from, to: edge.start - 1 });
      from = edge.start;
      held = 0;
    }
    held += edge.count;
  }
  windows.push({ from, to: Number.POSITIVE_INFINITY });
  return windows.map((w) => ({
    from: Number.isFinite(w.from) ? w.from : 0,
    to: Number.isFinite(w.to) ? w.to : Math.max(lastStep, 0),
  }));
}

async function readSeriesPointsOf(
  run: ExperimentRun,
  steps: { from: number; to: number },
): Promise<SeriesPoint[]> {
  const points: SeriesPoint[] = [];
  for await (const chunk of run.readTimeSeries({ steps })) {
    for (let i = 0; i < chunk.steps.length; i++) {
      points.push({
        metric: chunk.metric,
        step: chunk.steps[i]!,
        wallTime: chunk.wallTimes[i]!,
        value: chunk.values[i]!,
      });
    }
  }
  return points;
}

/** Writes rows as they come, in CSV, one JSON array or JSON lines, waiting when the output is full. */
class FrameWriter {
  columns: string[] = [];
  rows = 0;
  #integers: ReadonlySet<string> = new Set();
  readonly #format: Format;
  readonly #write: (text: string) => Promise<void>;
  readonly #excelSafe: boolean;

  constructor(format: Format, write: (text: string) => Promise<void>, excelSafe: boolean) {
    this.#format = format;
    this.#write = write;
    this.#excelSafe = excelSafe;
  }

  start(columns: string[], integers: ReadonlySet<string>): void {
    this.columns = columns;
    this.#integers = integers;
  }

  async row(row: Row): Promise<void> {
    const first = this.rows === 0;
    this.rows++;
    if (this.#format === "csv") {
      const csv = toCsv(this.columns, [row], this.#integers, { excelSafe: this.#excelSafe });
      // toCsv writes a header line first; keep it only for the first row.
      await this.#write(first ? csv : csv.slice(csv.indexOf("\n") + 1));
    } else if (this.#format === "jsonl") {
      await this.#write(`${toJson(ordered(row, this.columns), 0)}\n`);
    } else {
      const json = toJson(ordered(row, this.columns)).replace(/^/gm, "  ");
      await this.#write(`${first ? "[\n" : ",\n"}${json}`);
    }
  }

  async end(): Promise<void> {
    if (this.#format === "csv" && this.rows === 0)
      await this.#write(toCsv(this.columns, [], this.#integers, { excelSafe: this.#excelSafe }));
    if (this.#format === "json") await this.#write(this.rows === 0 ? "[]\n" : "\n]\n");
  }
}

function ordered(row: Row, columns: string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c] ?? null;
  return out;
}

/** stdout or a file, with writes that wait for the stream to drain (bounded memory). */
async function openOutput(
  ctx: Context,
  file: string | undefined,
): Promise<{ write(text: string): Promise<void>; close(): Promise<void> }> {
  if (file === undefined) {
    const stdout = ctx.io.stdout as {
      write(chunk: string): unknown;
      once?(e: string, f: () => void): unknown;
    };
    // Exact bytes into a pipe or a file; on a terminal, a store's ESC, OSC 52 or CR would act on
    // it (set the title, write the clipboard, overwrite lines), so they are shown escaped there.
    const shown = ctx.io.stdout.isTTY === true ? safeLines : (text: string) => text;
    return {
      async write(text) {
        const ok = stdout.write(shown(text));
        if (ok === false && stdout.once) await new Promise<void>((resolve) => stdout.once!("drain", resolve));
      },
      async close() {},
    };
  }
  const stream = createWriteStream(file);
  try {
    await once(stream, "open");
  } catch (error) {
    throw new UsageError(`Cannot write ${JSON.stringify(file)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    async write(text) {
      if (!stream.write(text)) await once(stream, "drain");
    },
    async close() {
      stream.end();
      await once(stream, "finish");
    },
  };
}
