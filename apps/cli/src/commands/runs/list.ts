import { checkSortKeys, compareRows, evaluate, parseFilter, parseSort } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { columnJson, defaultColumns, normaliseColumns, renderRunsTable } from "../../format/runs-table.js";
import { safe } from "../../format/safe.js";
import { visibleWidth } from "../../format/table.js";
import { loadRuns, runJson } from "../../runs-data.js";
import { parseCount } from "../../values.js";
import { action, examples } from "../action.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRunsList(group: Command, io: CliIo): void {
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
      "-s, --sort <keys>",
      "order by KEYS, comma-separated or repeated (param.X, metric.X, state, created…); a leading - or :desc reverses one",
      collect,
    )
    .option("-n, --limit <n>", "show at most N runs (after filter and sort)")
    .option(
      "-c, --columns <list>",
      "comma-separated columns: run, experiment, state, created, updated, run_type, param.X, metric.X, time_series_metric.X, tag.X; also picks the --json fields",
    )
    .addHelpText(
      "after",
      `
Filter grammar: comparisons FIELD OP VALUE joined with and / or / not, grouped with ( ).
  FIELD  param.KEY | metric.KEY | time_series_metric.KEY | tag.KEY | state | run_name | experiment
         | run_type | created | updated | attributes.NAME (MLflow's names: status, start_time, …)
  OP     = != < <= > >=,  IN ('a', 'b'),  NOT IN (…),  LIKE 'mlp%',  ILIKE 'MLP%' (% any text, _ one character)
  VALUE  a number, 'a string', true, false, or a bare word; created/updated take an ISO date
         ('2024-01-31', '2024-01-31T12:00:00Z'; UTC unless it has an offset) or milliseconds
  A number matches only numbers and a string only strings; a run without the field never matches.
Sort: --sort param.model,-metric.accuracy (or --sort param.model --sort -metric.accuracy); a key that
  no run has is an error. Runs without a key's value come last.
With --json and --columns, each run is an object with exactly those columns as keys.
${examples(
  "exprun runs list",
  "exprun runs list -e demo --filter 'metric.val_accuracy >= 0.9 and param.model = mlp' --sort metric.val_loss",
  "exprun runs list --filter \"state IN (COMPLETE, FAILED) and run_name LIKE 'mlp-%' and created > '2024-06-01'\"",
  "exprun runs list --sort param.model,-metric.val_accuracy --limit 5",
  "exprun runs list --columns run,param.lr,metric.val_accuracy --sort -metric.val_accuracy --json",
)}`,
    )
    .action(
      action(io, async (ctx, opts) => {
        const filterText = opts.filter === undefined ? undefined : String(opts.filter);
        const sortTexts = (opts.sort as string[] | undefined) ?? [];
        const filter = filterText === undefined ? undefined : parseFilter(filterText);
        const sort = sortTexts.length ? parseSort(sortTexts) : undefined;
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
          /time_series_metric\.|series\./.test(`${filterText ?? ""} ${sortTexts.join(" ")}`);
        const backend = await ctx.existingBackend();
        const experiment = (opts.experiment as string | undefined) ?? ctx.defaultExperiment();
        const { runs, experiments } = await loadRuns(backend, experiment, wantsSeries === true);
        if (sort) checkSortKeys(sort, runs);
        let selected = filter ? runs.filter((run) => evaluate(filter, run)) : runs;
        if (sort) selected = [...selected].sort((a, b) => compareRows(sort, a, b));
        if (limit !== undefined) selected = selected.slice(0, limit);
        if (ctx.json) {
          return ctx.printJson(
            columns ? selected.map((run) => columnJson(run, columns)) : selected.map(runJson),
          );
        }
        if (selected.length === 0) {
          ctx.out(
            runs.length === 0
              ? `No runs yet. Log some with ${ctx.command("log")}, or run: ${ctx.command("demo")}`
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
              `${hidden.length} column(s) did not fit: ${safe(hidden.join(", "))}. Choose with --columns.`,
            ),
          );
        }
        if (selected.length < runs.length)
          ctx.note(ctx.errColors.dim(`${selected.length} of ${runs.length} runs shown.`));
      }),
    );
}
