import { type ExperimentRun, parseWallTime, type Value } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo, Context } from "../context.js";
import { UsageError } from "../errors.js";
import { getRun } from "../resolve.js";
import { parseAssignments, parseCount, parseNumbers } from "../values.js";
import { action, examples } from "./action.js";
import { readJsonl } from "./log-jsonl.js";

const RUN_OPTIONS = (command: Command): Command =>
  command
    .requiredOption("-r, --run <run>", "the run (RUN or EXPERIMENT/RUN)")
    .option("-e, --experiment <name>", "the run's experiment (default: $EXPRUN_EXPERIMENT)")
    .option("--create", "create the run (and experiment) when missing");

export function registerLog(program: Command, io: CliIo): void {
  const group = program
    .command("log")
    // Options written before a subcommand are log's (for --jsonl); after it, the subcommand's.
    .enablePositionalOptions()
    .description("log params, metrics or time series from a shell, or JSON lines from stdin (--jsonl)")
    .option("--jsonl", "read JSON lines from stdin (format below)")
    .option("-r, --run <run>", "with --jsonl: the run for lines that name none")
    .option(
      "-e, --experiment <name>",
      "with --jsonl: the experiment for lines that name none (default: $EXPRUN_EXPERIMENT)",
    )
    .option("--create", "create runs (and experiments) that do not exist yet")
    .addHelpText(
      "after",
      `
JSON lines (--jsonl): one object per line; blank lines are skipped. Keys:
  run, experiment     where to log (default: --run / --experiment)
  params, metrics     objects of key -> number | string | boolean (merged; same key overwritten)
  series              object of metric -> number, logged at one step
  step, wall_time     for series: step (default: last step + 1) and wall time (ms since epoch or ISO date)
  state               set the run's state, e.g. "COMPLETE" (ends the run)
  classification      { labels, matrix, fpr, tpr, threshold, displayName }
NaN and Infinity are written {"$float":"NaN"} / {"$float":"Infinity"}. Lines are applied in order;
on the first bad line exprun stops and reports its number (lines before it stay logged).
${examples(
  `echo '{"run":"r1","experiment":"churn","params":{"lr":0.1}}' | exprun log --jsonl --create`,
  `python train.py | exprun log --jsonl -e churn -r trial-3 --create   # train.py prints {"series":{"loss":0.3},"step":7}`,
)}`,
    )
    .action(
      action(io, async (ctx, opts) => {
        if (opts.jsonl !== true) {
          throw new UsageError(
            "Say what to log: exprun log params|metrics|series --run R key=value …, or exprun log --jsonl < lines.jsonl",
          );
        }
        const summary = await readJsonl(ctx, {
          run: opts.run as string | undefined,
          experiment: (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
          create: opts.create === true,
        });
        if (ctx.json) return ctx.printJson(summary);
        ctx.note(`Logged ${summary.lines} line(s) to ${summary.runs.length} run(s).`);
      }),
    );

  RUN_OPTIONS(group.command("params").description("log params (merged; the same key is overwritten)"))
    .argument("<key=value...>", "values: numbers, true/false, anything else is a string")
    .option("--strings", "keep every value as a string (e.g. version=1.10)")
    .addHelpText(
      "after",
      examples(
        "exprun log params -r churn/trial-3 --create lr=0.1 optimizer=adam layers=4",
        "exprun log params -r trial-3 -e churn --strings version=1.10",
      ),
    )
    .action(
      action(io, async (ctx, opts, pairs: string[]) => {
        const values = parseAssignments(pairs, opts.strings === true);
        const run = await openRun(ctx, opts);
        await run.logParams(values);
        report(ctx, run, "params", values);
      }),
    );

  RUN_OPTIONS(
    group.command("metrics").description("log summary metrics (merged; the same key is overwritten)"),
  )
    .argument("<key=value...>", "values: numbers, true/false, anything else is a string")
    .addHelpText("after", examples("exprun log metrics -r churn/trial-3 accuracy=0.93 f1=0.91"))
    .action(
      action(io, async (ctx, opts, pairs: string[]) => {
        const values = parseAssignments(pairs);
        const run = await openRun(ctx, opts);
        await run.logMetrics(values);
        report(ctx, run, "metrics", values);
      }),
    );

  RUN_OPTIONS(group.command("series").description("log time-series metrics at one step"))
    .argument("<key=value...>", "numeric values")
    .option("--step <n>", "step (default: the run's largest step + 1)")
    .option("--wall-time <time>", "wall time: ms since the epoch or an ISO date (default: now)")
    .addHelpText(
      "after",
      examples(
        "exprun log series -r churn/trial-3 --step 10 loss=0.31 val_loss=0.35",
        "exprun log series -r churn/trial-3 loss=0.29",
      ),
    )
    .action(
      action(io, async (ctx, opts, pairs: string[]) => {
        const values = parseNumbers(pairs);
        const step = opts.step === undefined ? undefined : parseCount("--step", String(opts.step));
        const wallTime =
          opts.wallTime === undefined ? undefined : parseWallTime(String(opts.wallTime), "--wall-time");
        const run = await openRun(ctx, opts);
        await run.logTimeSeriesMetrics(values, {
          ...(step === undefined ? {} : { step }),
          ...(wallTime === undefined ? {} : { wallTime }),
        });
        report(ctx, run, "series", values);
      }),
    );
}

async function openRun(ctx: Context, opts: Record<string, unknown>): Promise<ExperimentRun> {
  const backend = await ctx.backend();
  return getRun(
    backend,
    String(opts.run),
    (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
    opts.create === true,
  );
}

function report(ctx: Context, run: ExperimentRun, what: string, values: Record<string, Value>): void {
  if (ctx.json) {
    ctx.printJson({ experiment: run.experiment, run: run.name, logged: what, values });
    return;
  }
  ctx.note(`Logged ${Object.keys(values).length} ${what} to ${run.experiment}/${run.name}.`);
}
