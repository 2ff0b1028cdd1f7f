import { ExperimentRun, RUN_STATES, type RunState } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { UsageError } from "../errors.js";
import { defaultColumns, normaliseColumns, renderRunsTable } from "../format/runs-table.js";
import { visibleWidth } from "../format/table.js";
import { requireExperiment, resolveRun } from "../resolve.js";
import { loadRuns, runJson, toFilterRow } from "../runs-data.js";
import { parseCount } from "../values.js";
import { action, examples } from "./action.js";
import { confirm } from "./confirm.js";

export function registerRuns(program: Command, io: CliIo): void {
  const group = program
    .command("runs")
    .description("list, show, create, end and delete runs")
    .addHelpText(
      "after",
      examples("exprun runs list --experiment demo", "exprun runs show demo/logreg-lr0-5"),
    );

  group
    .command("list")
    .alias("ls")
    .description("a table of runs with their state, params and metrics")
    .option(
      "-e, --experiment <name>",
      "only this experiment (default: $EXPRUN_EXPERIMENT, else every experiment)",
    )
    .option("-f, --filter <expr>", "keep runs matching EXPR, e.g. 'metric.accuracy > 0.9 and param.lr = 0.1'")
    .option(
      "-s, --sort <key>",
      "order by KEY (param.X, metric.X, state, run_name…); add :desc or a leading - to reverse",
    )
    .option("-n, --limit <n>", "show at most N runs (after filter and sort)")
    .option(
      "-c, --columns <list>",
      "comma-separated columns: run, experiment, state, created, updated, param.X, metric.X, time_series_metric.X",
    )
    .addHelpText(
      "after",
      `
Filter grammar: comparisons FIELD OP VALUE joined with and / or / not, grouped with ( ).
  FIELD  param.KEY | metric.KEY | time_series_metric.KEY | state | run_name | experiment
  OP     = != < <= > >=          VALUE  a number, 'a string', true, false, or a bare word
  A number matches only numbers and a string only strings; a run without the field never matches.
${examples(
  "exprun runs list",
  "exprun runs list -e demo --filter 'metric.val_accuracy >= 0.9 and param.model = mlp' --sort metric.val_loss",
  "exprun runs list --filter \"state = COMPLETE or (param.lr < 0.05 and run_name != 'baseline')\" --limit 5",
  "exprun runs list --columns run,param.lr,metric.val_accuracy --sort -metric.val_accuracy --json",
)}`,
    )
    .action(
      action(io, async (ctx, opts) => {
        // The filter language is loaded only when a filter or sort key is given.
        const lang =
          opts.filter === undefined && opts.sort === undefined
            ? undefined
            : await import("../filter/index.js");
        const filter = opts.filter === undefined ? undefined : lang!.parseFilter(String(opts.filter));
        const sort = opts.sort === undefined ? undefined : lang!.parseSortKey(String(opts.sort));
        const limit = opts.limit === undefined ? undefined : parseCount("--limit", String(opts.limit));
        const columns =
          opts.columns === undefined
            ? undefined
            : normaliseColumns(
                String(opts.columns)
                  .split(",")
                  .filter((c) => c.trim() !== ""),
              );
        const wantsSeries =
          columns?.some((c) => c.startsWith("time_series_metric.")) ||
          /time_series_metric\.|series\./.test(String(opts.filter ?? "") + String(opts.sort ?? ""));
        const backend = await ctx.existingBackend();
        const experiment = (opts.experiment as string | undefined) ?? ctx.defaultExperiment();
        const { runs, experiments } = await loadRuns(backend, experiment, wantsSeries === true);
        let rows = runs.map((run) => ({ run, row: toFilterRow(run) }));
        if (filter) rows = rows.filter(({ row }) => lang!.evaluate(filter, row));
        if (sort) rows.sort((a, b) => lang!.compareRows(sort, a.row, b.row));
        if (limit !== undefined) rows = rows.slice(0, limit);
        const selected = rows.map((r) => r.run);
        if (ctx.json) return ctx.printJson(selected.map(runJson));
        if (selected.length === 0) {
          ctx.out(
            runs.length === 0
              ? "No runs yet. Log some with exprun log, or run: exprun demo"
              : "No run matches the filter.",
          );
          return;
        }
        let shown = columns ?? defaultColumns(selected, experiments.length > 1);
        let table = renderRunsTable(selected, shown, ctx.colors);
        // On a terminal, default columns that do not fit are left out (params first, metrics
        // last, and named on stderr) rather than wrapped.
        const hidden: string[] = [];
        const width = ctx.io.stdout.isTTY ? ctx.io.stdout.columns : undefined;
        const firstLine = (text: string) => text.slice(0, text.indexOf("\n"));
        while (!columns && width && shown.length > 3 && visibleWidth(firstLine(table)) > width) {
          const params = shown.filter((c) => c.startsWith("param."));
          const drop = params.length ? params[params.length - 1]! : shown[shown.length - 1]!;
          hidden.unshift(drop);
          shown = shown.filter((c) => c !== drop);
          table = renderRunsTable(selected, shown, ctx.colors);
        }
        ctx.out(table);
        if (hidden.length) {
          ctx.note(
            ctx.errColors.dim(
              `${hidden.length} column(s) did not fit: ${hidden.join(", ")}. Choose with --columns.`,
            ),
          );
        }
        if (selected.length < runs.length)
          ctx.note(ctx.errColors.dim(`${selected.length} of ${runs.length} runs shown.`));
      }),
    );

  group
    .command("show")
    .description(
      "a run's params, metrics, time-series summary, classification metrics, executions, artifacts and pipeline jobs",
    )
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .option("-e, --experiment <name>", "the run's experiment (needed when several have a run of that name)")
    .addHelpText(
      "after",
      examples("exprun runs show demo/mlp-h16-lr0-3", "exprun runs show mlp-h16-lr0-3 -e demo --json"),
    )
    .action(
      action(io, async (ctx, opts, spec: string) =>
        (await import("./runs-show.js")).showRun(ctx, spec, opts.experiment as string | undefined),
      ),
    );

  group
    .command("create")
    .description("create a run (state RUNNING unless --state); the experiment is created if missing")
    .argument("<run>", "run name: lowercase letters, digits and hyphens")
    .option("-e, --experiment <name>", "experiment (default: $EXPRUN_EXPERIMENT)")
    .option("--state <state>", `initial state: ${RUN_STATES.join(", ")}`)
    .option("--tensorboard <resource>", "TensorBoard resource name for its time series (Vertex)")
    .addHelpText(
      "after",
      examples("exprun runs create baseline -e churn", "exprun runs create trial-2 -e churn --state NEW"),
    )
    .action(
      action(io, async (ctx, opts, name: string) => {
        const backend = await ctx.backend();
        const experiment = requireExperiment(
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
          "runs create",
        );
        const run = await ExperimentRun.create(name, {
          backend,
          experiment,
          ...(opts.state ? { state: parseState(String(opts.state)) } : {}),
          ...(opts.tensorboard ? { tensorboard: String(opts.tensorboard) } : {}),
        });
        if (ctx.json) return ctx.printJson(runJson(run.toJSON()));
        ctx.out(`Created run ${ctx.colors.bold(`${experiment}/${name}`)} (${run.state}).`);
      }),
    );

  group
    .command("end")
    .description("end a run: flush its data and set the state (COMPLETE unless --state)")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .option("-e, --experiment <name>", "the run's experiment")
    .option("--state <state>", "final state (default COMPLETE)")
    .addHelpText(
      "after",
      examples("exprun runs end demo/baseline", "exprun runs end baseline -e churn --state FAILED"),
    )
    .action(
      action(io, async (ctx, opts, spec: string) => {
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
        await run.endRun({ state: opts.state ? parseState(String(opts.state)) : "COMPLETE" });
        if (ctx.json) return ctx.printJson(runJson(run.toJSON()));
        ctx.out(`Ended run ${record.experiment}/${record.name}: ${run.state}.`);
      }),
    );

  group
    .command("state")
    .description("set a run's state (any state may follow any state)")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .argument("<state>", RUN_STATES.join(" | "))
    .option("-e, --experiment <name>", "the run's experiment")
    .addHelpText("after", examples("exprun runs state demo/baseline CANCELLED"))
    .action(
      action(io, async (ctx, opts, spec: string, state: string) => {
        const parsed = parseState(state);
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
        await run.updateState(parsed);
        if (ctx.json) return ctx.printJson(runJson(run.toJSON()));
        ctx.out(`Run ${record.experiment}/${record.name} is now ${parsed}.`);
      }),
    );

  group
    .command("delete")
    .alias("rm")
    .description("delete a run with its params, metrics and time series (artifacts and executions stay)")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .option("-e, --experiment <name>", "the run's experiment")
    .option("-y, --yes", "do not ask for confirmation (needed when stdin is not a terminal)")
    .option("--delete-tensorboard-run", "also delete its TensorBoard run (Vertex)")
    .addHelpText("after", examples("exprun runs delete demo/logreg-lr0-5 --yes"))
    .action(
      action(io, async (ctx, opts, spec: string) => {
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        await confirm(ctx, opts.yes === true, `Delete run ${record.experiment}/${record.name}?`);
        await backend.deleteRun(
          { experiment: record.experiment, run: record.name },
          { deleteBackingTensorboardRun: opts.deleteTensorboardRun === true },
        );
        if (ctx.json) return ctx.printJson({ deleted: { experiment: record.experiment, run: record.name } });
        ctx.out(`Deleted run ${record.experiment}/${record.name}.`);
      }),
    );
}

export function parseState(raw: string): RunState {
  const state = raw.toUpperCase();
  if (!(RUN_STATES as readonly string[]).includes(state)) {
    throw new UsageError(`Unknown state ${JSON.stringify(raw)}: use one of ${RUN_STATES.join(", ")}.`);
  }
  return state as RunState;
}
