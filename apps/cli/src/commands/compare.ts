import { latestSeriesPoints, type RunRecord, type Value } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { UsageError } from "../errors.js";
import { safe } from "../format/safe.js";
import { renderTable } from "../format/table.js";
import { formatValue, sameValue } from "../format/value.js";
import { resolveRun } from "../resolve.js";
import { action, examples } from "./action.js";

export interface CompareRow {
  key: string;
  values: (Value | null)[];
  differs: boolean;
}

export function registerCompare(program: Command, io: CliIo): void {
  program
    .command("compare")
    .description("params, metrics and latest time-series values of runs side by side; differences marked")
    .argument("<runs...>", "two or more runs: RUN or EXPERIMENT/RUN")
    .option("-e, --experiment <name>", "experiment of runs given without one")
    .option("-d, --diff", "show only the rows that differ")
    .addHelpText(
      "after",
      `\nRows that differ are marked with "≠" (and highlighted on a terminal); a missing value counts as different.
${examples(
  "exprun compare demo/logreg-lr0-5 demo/mlp-h16-lr0-3",
  "exprun compare a b c -e churn --diff --json",
)}`,
    )
    .action(
      action(io, async (ctx, opts, specs: string[]) => {
        if (specs.length < 2)
          throw new UsageError("compare needs at least two runs, e.g. exprun compare run-a run-b");
        const backend = await ctx.existingBackend();
        const experiment = (opts.experiment as string | undefined) ?? ctx.defaultExperiment();
        const runs: RunRecord[] = [];
        for (const spec of specs) {
          const record = await resolveRun(backend, spec, experiment);
          const latest = await latestSeriesPoints(backend, {
            experiment: record.experiment,
            run: record.name,
          });
          runs.push({ ...record, latestTimeSeries: latest });
        }
        let rows = compareRuns(runs);
        if (opts.diff === true) rows = rows.filter((r) => r.differs);
        const names = runs.map((r) => `${r.experiment}/${r.name}`);
        if (ctx.json) return ctx.printJson({ runs: names, rows });
        const c = ctx.colors;
        ctx.out(
          renderTable({
            head: ["", "key", ...names.map((n) => c.bold(safe(n)))],
            rows: rows.map((r) => [
              r.differs ? c.yellow("≠") : "",
              r.differs ? c.yellow(safe(r.key)) : safe(r.key),
              ...r.values.map((v) => (r.differs ? c.bold(formatValue(v)) : formatValue(v))),
            ]),
            numeric: [false, false, ...names.map(() => true)],
          }),
        );
        const differing = rows.filter((r) => r.differs).length;
        ctx.note(c.dim(`${differing} of ${rows.length} row(s) differ.`));
      }),
    );
}

/** One row per state, param, metric, latest time-series value and tag, in that order. */
export function compareRuns(runs: RunRecord[]): CompareRow[] {
  const keys: string[] = ["state"];
  const seen = new Set(keys);
  const add = (k: string) => {
    if (!seen.has(k)) {
      seen.add(k);
      keys.push(k);
    }
  };
  for (const r of runs) for (const k of Object.keys(r.params)) add(`param.${k}`);
  for (const r of runs) for (const k of Object.keys(r.metrics)) add(`metric.${k}`);
  for (const r of runs) for (const k of Object.keys(r.latestTimeSeries ?? {})) add(`time_series_metric.${k}`);
  for (const r of runs) for (const k of Object.keys(r.tags ?? {})) add(`tag.${k}`);
  return keys.map((key) => {
    const values = runs.map((r) => rowValue(r, key));
    const differs = values.some((v) => v === null || !sameValue(v, values[0]));
    return { key, values, differs };
  });
}

function rowValue(run: RunRecord, key: string): Value | null {
  if (key === "state") return run.state;
  const own = <T>(record: Record<string, T> | undefined, k: string) =>
    record && Object.hasOwn(record, k) ? record[k] : undefined;
  if (key.startsWith("param.")) return own(run.params, key.slice(6)) ?? null;
  if (key.startsWith("metric.")) return own(run.metrics, key.slice(7)) ?? null;
  if (key.startsWith("tag.")) return own(run.tags, key.slice(4)) ?? null;
  return own(run.latestTimeSeries, key.slice(19))?.value ?? null;
}
