import {
  type CheckedBackend,
  collectPages,
  type DownsampledMetric,
  ExperimentRun,
  type RunRecord,
  type RunRef,
  readSeriesPoints,
  settlePoints,
} from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { UsageError } from "../errors.js";
import { safe } from "../format/safe.js";
import { truncate } from "../format/table.js";
import { requireExperimentRecord, resolveRun } from "../resolve.js";
import { parseCount } from "../values.js";
import { action, examples } from "./action.js";

/** Runs drawn per chart unless `--top` says otherwise. */
export const DEFAULT_TOP = 10;
/** Metrics where lower is better, when `--best` does not say (by name, as most trackers guess). */
const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplexity|wer|cer|latency|time|duration|regret/i;

interface PlotRun {
  ref: RunRef;
  label: string;
  /** The latest value of each metric, to rank runs. */
  latest: Record<string, number>;
}

export function registerPlot(program: Command, io: CliIo): void {
  program
    .command("plot")
    .description("terminal line chart of time-series metrics, several runs overlaid (one chart per metric)")
    .argument("[runs...]", "runs: RUN or EXPERIMENT/RUN (default with --experiment: all its runs)")
    .option("-e, --experiment <name>", "experiment of runs given without one")
    .option("-m, --metric <name...>", "metrics to plot (default: every metric the runs have)")
    .option(
      "--top <n>",
      `per chart, only the best N runs by the metric's last value; 0 for all (default ${DEFAULT_TOP})`,
    )
    .option(
      "--best <min|max>",
      "which end is best when ranking for --top (default: min for names like loss/error, else max)",
    )
    .option("--height <n>", "chart height in lines", "12")
    .option("--width <n>", "chart width in columns, axis labels included (default: fits the terminal)")
    .addHelpText(
      "after",
      `
Without colour (a pipe, NO_COLOR) each run is drawn with its own marker (* + o x # …), shown in the
legend. With many runs, each chart shows the best ${DEFAULT_TOP} (--top N; --top 0 for all) by the
metric's last value, lowest first for names like loss or error, highest first otherwise (--best), and
says how many were left out.
With --json, prints the points instead: [{ metric, runs: [{ run, points: [{ step, value }] }] }],
every run unless --top is given (then with "leftOut", the number of runs not included).
A metric no run has is an error (exit code 1).
${examples(
  "exprun plot demo/logreg-lr0-5 demo/mlp-h16-lr0-3 --metric val_loss",
  "exprun plot -e demo --metric loss val_accuracy --width 80",
  "exprun plot -e sweep --metric val_accuracy --top 5",
)}`,
    )
    .action(
      action(io, async (ctx, opts, specs: string[]) => {
        const height = parseCount("--height", String(opts.height));
        const width =
          opts.width === undefined
            ? Math.max(40, ctx.terminalWidth)
            : parseCount("--width", String(opts.width));
        const topGiven = opts.top !== undefined;
        const top = topGiven ? parseCount("--top", String(opts.top)) : ctx.json ? 0 : DEFAULT_TOP;
        const best = opts.best === undefined ? undefined : String(opts.best);
        if (best !== undefined && best !== "min" && best !== "max")
          throw new UsageError(`--best must be min or max; got ${JSON.stringify(best)}.`);
        const backend = await ctx.existingBackend();
        const experiment = (opts.experiment as string | undefined) ?? ctx.defaultExperiment();
        const runs = await plotRuns(backend, specs, experiment);
        const known = [...new Set(runs.flatMap((r) => Object.keys(r.latest)))].sort();
        const wanted = opts.metric as string[] | undefined;
        const missing = (wanted ?? []).filter((m) => !known.includes(m));
        if (missing.length) {
          throw new UsageError(
            `No time series named ${missing.map((m) => JSON.stringify(m)).join(", ")} in ${
              runs.length === 1 ? "this run" : `these ${runs.length} runs`
            }. ${known.length ? `Their metrics: ${known.join(", ")}.` : "They have no time series."}`,
          );
        }
        const metrics = wanted ?? known;
        if (metrics.length === 0) {
          if (ctx.json) return ctx.printJson([]);
          ctx.out(
            `These runs have no time series. Log some with: ${ctx.command("log series --run R loss=0.5")}`,
          );
          return;
        }
        const charts = [];
        for (const metric of metrics) {
          const having = runs.filter((r) => Object.hasOwn(r.latest, metric));
          const lowerIsBetter = best ? best === "min" : LOWER_IS_BETTER.test(metric);
          const ranked =
            top > 0 && having.length > top
              ? [...having]
                  .sort((a, b) => rankOrder(a.latest[metric]!, b.latest[metric]!, lowerIsBetter))
                  .slice(0, top)
              : having;
          const series = [];
          for (const run of ranked) {
            // --json gives every point; a chart reads core's downsampled envelope, about one
            // bucket per column, so a run of a million points costs what it draws.
            const points = ctx.json
              ? settlePoints(await readSeriesPoints(backend, run.ref, { metrics: [metric] })).map((p) => ({
                  step: p.step,
                  value: p.value,
                }))
              : envelope(
                  (
                    await (
                      await ExperimentRun.get(run.ref.run, { backend, experiment: run.ref.experiment })
                    ).getTimeSeries({ metrics: [metric], buckets: Math.max(10, width) })
                  ).series[0],
                );
            series.push({ run: run.label, points });
          }
          charts.push({ metric, runs: series, leftOut: having.length - ranked.length, lowerIsBetter });
        }
        if (ctx.json) {
          return ctx.printJson(
            charts.map((c) => ({
              metric: c.metric,
              runs: c.runs,
              ...(topGiven ? { leftOut: c.leftOut } : {}),
            })),
          );
        }
        const { renderChart, wrapWords } = await import("../format/chart.js");
        const colors = ctx.colors.isColorSupported ? ctx.colors : undefined;
        const oneExperiment = runs.every((r) => r.ref.experiment === runs[0]?.ref.experiment);
        for (const chart of charts) {
          const text = renderChart(
            ctx.colors.bold(safe(chart.metric)),
            chart.runs.map((r) => ({
              label: truncate(
                safe(oneExperiment ? r.run.slice(r.run.indexOf("/") + 1) : r.run),
                Math.max(10, width - 6),
              ),
              points: r.points,
            })),
            { width, height, colors },
          );
          const note =
            chart.leftOut > 0
              ? `\n${wrapWords(
                  `${chart.leftOut} more run(s) left out: showing the best ${chart.runs.length} by last ${safe(chart.metric)} ` +
                    `(${chart.lowerIsBetter ? "lowest" : "highest"} first). --top N shows more, --top 0 all.`,
                  width,
                )
                  .map((line) => ctx.colors.dim(line))
                  .join("\n")}`
              : "";
          ctx.out(`${text}${note}\n`);
        }
      }),
    );
}

/** The points that draw a downsampled metric: each bucket's first, min, max and last. */
function envelope(metric: DownsampledMetric | undefined): { step: number; value: number }[] {
  if (!metric) return [];
  const b = metric.buckets;
  const out: { step: number; value: number }[] = [];
  for (let i = 0; i < b.length; i++) {
    for (const columns of [b.first, b.min, b.max, b.last])
      out.push({ step: columns.steps[i]!, value: columns.values[i]! });
  }
  return out;
}

/** Best first; NaN last. */
function rankOrder(a: number, b: number, lowerIsBetter: boolean): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  return lowerIsBetter ? a - b : b - a;
}

/** The runs named, or every run of the experiment, with their latest points (to rank them). */
async function plotRuns(
  backend: CheckedBackend,
  specs: string[],
  experiment: string | undefined,
): Promise<PlotRun[]> {
  const toPlotRun = (r: RunRecord): PlotRun => ({
    ref: { experiment: r.experiment, run: r.name },
    label: `${r.experiment}/${r.name}`,
    latest: Object.fromEntries(Object.entries(r.latestTimeSeries ?? {}).map(([k, p]) => [k, p.value])),
  });
  if (specs.length === 0) {
    if (!experiment)
      throw new UsageError("Name runs to plot, or an experiment: exprun plot -e demo --metric loss");
    await requireExperimentRecord(backend, experiment);
    const records = await collectPages((page) =>
      backend.listRuns(experiment, { ...page, withLatestTimeSeries: true }),
    );
    return records.map(toPlotRun);
  }
  const out: PlotRun[] = [];
  for (const spec of specs) {
    const r = await resolveRun(backend, spec, experiment);
    const ref = { experiment: r.experiment, run: r.name };
    out.push(toPlotRun({ ...r, latestTimeSeries: await backend.latestTimeSeries(ref) }));
  }
  return out;
}
