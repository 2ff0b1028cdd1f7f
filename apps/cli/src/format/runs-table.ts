import type { RunRecord, Value } from "@exprun/core";
import { UsageError } from "../errors.js";
import type { Colors } from "./colors.js";
import { renderTable } from "./table.js";
import { formatTime, formatValue } from "./value.js";

const FIXED_COLUMNS = ["run", "experiment", "state", "created", "updated", "run_type"] as const;

/** Default columns: run, experiment (when several), state, then every param and metric key. */
export function defaultColumns(runs: RunRecord[], severalExperiments: boolean): string[] {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.params)) params.add(`param.${k}`);
    for (const k of Object.keys(r.metrics)) metrics.add(`metric.${k}`);
  }
  return [...(severalExperiments ? ["experiment"] : []), "run", "state", ...params, ...metrics];
}

/** Checks `--columns` names; `run_name` and `experiment_name` are accepted as in the DataFrame. */
export function normaliseColumns(columns: string[]): string[] {
  return columns.map((c) => {
    const name = c.trim();
    if (name === "run_name") return "run";
    if (name === "experiment_name") return "experiment";
    if ((FIXED_COLUMNS as readonly string[]).includes(name)) return name;
    if (/^(param|metric|time_series_metric)\..+/.test(name)) return name;
    throw new UsageError(
      `Unknown column ${JSON.stringify(name)}: use ${FIXED_COLUMNS.join(", ")}, param.<key>, metric.<key> or time_series_metric.<key>.`,
    );
  });
}

export function cellOf(run: RunRecord, column: string): Value | undefined {
  switch (column) {
    case "run":
      return run.name;
    case "experiment":
      return run.experiment;
    case "state":
      return run.state;
    case "run_type":
      return run.runType;
    case "created":
      return formatTime(run.createTime);
    case "updated":
      return formatTime(run.updateTime);
  }
  if (column.startsWith("param.")) return run.params[column.slice(6)];
  if (column.startsWith("metric.")) return run.metrics[column.slice(7)];
  if (column.startsWith("time_series_metric.")) return run.latestTimeSeries?.[column.slice(19)]?.value;
  return undefined;
}

/** The runs as a table; numeric columns right-aligned, states coloured. */
export function renderRunsTable(runs: RunRecord[], columns: string[], colors: Colors): string {
  const cells = runs.map((run) => columns.map((c) => cellOf(run, c)));
  const numeric = columns.map(
    (_, i) =>
      cells.some((row) => typeof row[i] === "number") &&
      cells.every((row) => row[i] === undefined || typeof row[i] === "number"),
  );
  const rows = cells.map((row) =>
    row.map((value, i) => {
      const column = columns[i];
      if (column === "state") return stateCell(colors, String(value));
      if (column === "run") return colors.bold(String(value));
      return formatValue(value);
    }),
  );
  return renderTable({ head: columns.map((c) => colors.dim(c)), rows, numeric });
}

function stateCell(colors: Colors, state: string): string {
  if (state === "COMPLETE") return colors.green(state);
  if (state === "FAILED") return colors.red(state);
  if (state === "RUNNING") return colors.cyan(state);
  return colors.yellow(state);
}
