import type { RunRecord, Value } from "@exprun/core";
import { UsageError } from "../errors.js";
import { type Colors, stateColor } from "./colors.js";
import { isoTime } from "./json.js";
import { safe } from "./safe.js";
import { renderTable } from "./table.js";
import { formatTime, formatValue } from "./value.js";

const FIXED_COLUMNS = ["run", "experiment", "state", "created", "updated", "run_type"] as const;
const PREFIXED = /^(param|metric|time_series_metric|tag)\..+/;

/** A run as the runs table reads it; `tags` once the store keeps them. */
type TableRun = RunRecord & { tags?: Record<string, string> };

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

/** Checks `--columns` names; `run_name`, `experiment_name` and `tags.X` are accepted as aliases. */
export function normaliseColumns(columns: string[]): string[] {
  return columns.map((c) => {
    const name = c.trim();
    if (name === "run_name") return "run";
    if (name === "experiment_name") return "experiment";
    if (name.startsWith("tags.")) return `tag.${name.slice(5)}`;
    if ((FIXED_COLUMNS as readonly string[]).includes(name)) return name;
    if (PREFIXED.test(name)) return name;
    throw new UsageError(
      `Unknown column ${JSON.stringify(name)}: use ${FIXED_COLUMNS.join(", ")}, param.<key>, metric.<key>, time_series_metric.<key> or tag.<key>.`,
    );
  });
}

/** The value of a column in a run: times as milliseconds, `undefined` when the run lacks it. */
function columnValue(run: TableRun, column: string): Value | undefined {
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
      return run.createTime;
    case "updated":
      return run.updateTime;
  }
  const own = <T>(record: Record<string, T> | undefined, key: string) =>
    record && Object.hasOwn(record, key) ? record[key] : undefined;
  if (column.startsWith("param.")) return own(run.params, column.slice(6));
  if (column.startsWith("metric.")) return own(run.metrics, column.slice(7));
  if (column.startsWith("time_series_metric.")) return own(run.latestTimeSeries, column.slice(19))?.value;
  if (column.startsWith("tag.")) return own(run.tags, column.slice(4));
  return undefined;
}

/** `runs list --json --columns …`: one object per run with exactly those keys (missing: null). */
export function columnJson(run: RunRecord, columns: string[]): Record<string, Value | null> {
  const out: Record<string, Value | null> = {};
  for (const column of columns) {
    const value = columnValue(run, column);
    out[column] =
      value === undefined
        ? null
        : column === "created" || column === "updated"
          ? isoTime(value as number)
          : value;
  }
  return out;
}

/** The runs as a table; numeric columns right-aligned, states coloured, store text escaped. */
export function renderRunsTable(runs: RunRecord[], columns: string[], colors: Colors): string {
  const cells = runs.map((run) =>
    columns.map((c) => {
      const value = columnValue(run, c);
      return (c === "created" || c === "updated") && typeof value === "number" ? formatTime(value) : value;
    }),
  );
  const numeric = columns.map(
    (_, i) =>
      cells.some((row) => typeof row[i] === "number") &&
      cells.every((row) => row[i] === undefined || typeof row[i] === "number"),
  );
  const rows = cells.map((row) =>
    row.map((value, i) => {
      const column = columns[i];
      if (column === "state") return stateColor(colors, safe(String(value)));
      if (column === "run") return colors.bold(formatValue(value));
      return formatValue(value);
    }),
  );
  return renderTable({ head: columns.map((c) => colors.dim(safe(c))), rows, numeric });
}
