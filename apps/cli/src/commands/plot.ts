import { collectPages, readSeriesPoints, type SeriesPoint, settlePoints } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { UsageError } from "../errors.js";
import { resolveRun } from "../resolve.js";
import { parseCount } from "../values.js";
import { action, examples } from "./action.js";

export function registerPlot(program: Command, io: CliIo): void {
  program
    .command("plot")
    .description("terminal line chart of time-series metrics, several runs overlaid (one chart per metric)")
    .argument("[runs...]", "runs: RUN or EXPERIMENT/RUN (default with --experiment: all its runs)")
    .option("-e, --experiment <name>", "experiment of runs given without one")
    .option("-m, --metric <name...>", "metrics to plot (default: every metric the runs have)")
    .option("--height <n>", "chart height in lines", "12")
    .option("--width <n>", "chart width in columns (default: fits the terminal)")
    .addHelpText(
      "after",
      `\nWith --json, prints the points instead: [{ metric, runs: [{ run, points: [{ step, value }] }] }].
${examples(
  "exprun plot demo/logreg-lr0-5 demo/mlp-h16-lr0-3 --metric val_loss",
  "exprun plot -e demo --metric loss val_accuracy",
)}`,
    )
    .action(
      action(io, async (ctx, opts, specs: string[]) => {
        const height = parseCount("--height", String(opts.height));
        const backend = await ctx.existingBackend();
        const experiment = (opts.experiment as string | undefined) ?? ctx.defaultExperiment();
        let refs: { experiment: string; run: string }[];
        if (specs.length === 0) {
          if (!experiment)
            throw new UsageError("Name runs to plot, or an experiment: exprun plot -e demo --metric loss");
          if (!(await backend.getExperiment(experiment))) {
            throw new UsageError(
              `Experiment ${JSON.stringify(experiment)} was not found. List the experiments with: exprun experiments list`,
            );
          }
          refs = (await collectPages((page) => backend.listRuns(experiment, page))).map((r) => ({
            experiment,
            run: r.name,
          }));
        } else {
          refs = [];
          for (const spec of specs) {
            const r = await resolveRun(backend, spec, experiment);
            refs.push({ experiment: r.experiment, run: r.name });
          }
        }
        const wanted = opts.metric as string[] | undefined;
        const perRun: { label: string; points: SeriesPoint[] }[] = [];
        for (const ref of refs) {
          const points = settlePoints(
            await readSeriesPoints(backend, ref, wanted ? { metrics: wanted } : undefined),
          );
          perRun.push({ label: `${ref.experiment}/${ref.run}`, points });
        }
        const metrics = wanted ?? [...new Set(perRun.flatMap((r) => r.points.map((p) => p.metric)))].sort();
        const charts = metrics.map((metric) => ({
          metric,
          runs: perRun
            .map((r) => ({
              run: r.label,
              points: r.points
                .filter((p) => p.metric === metric)
                .map((p) => ({ step: p.step, value: p.value })),
            }))
            .filter((r) => r.points.length > 0),
        }));
        if (ctx.json) return ctx.printJson(charts);
        const missing = charts.filter((c) => c.runs.length === 0).map((c) => c.metric);
        if (missing.length) ctx.note(`No time series named ${missing.join(", ")} in these runs.`);
        if (metrics.length === 0) {
          ctx.out("These runs have no time series. Log some with: exprun log series --run R loss=0.5");
          return;
        }
        const { renderChart } = await import("../format/chart.js");
        const width =
          opts.width === undefined
            ? Math.max(20, ctx.terminalWidth - 16)
            : parseCount("--width", String(opts.width));
        const color = ctx.colors.isColorSupported;
        for (const chart of charts.filter((c) => c.runs.length > 0)) {
          ctx.out(
            `${renderChart(
              ctx.colors.bold(chart.metric),
              chart.runs.map((r) => ({ label: shortLabel(r.run, refs), points: r.points })),
              { width, height, color },
            )}\n`,
          );
        }
      }),
    );
}

/** Drops the experiment from labels when every run is in the same one. */
function shortLabel(label: string, refs: { experiment: string }[]): string {
  const one = refs.every((r) => r.experiment === refs[0]?.experiment);
  return one ? label.slice(label.indexOf("/") + 1) : label;
}
