import { type ClassificationMetrics, ExperimentRun, rocAuc } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo, Context } from "../../context.js";
import type { Colors } from "../../format/colors.js";
import { isoTime } from "../../format/json.js";
import { safe } from "../../format/safe.js";
import { renderPairs, renderTable } from "../../format/table.js";
import { formatNumber, formatTime, formatValue } from "../../format/value.js";
import { resolveRun } from "../../resolve.js";
import { runJson } from "../../runs-data.js";
import { summariseSeries } from "../../summary.js";
import { action, examples } from "../action.js";

/** Cells of `runs show` are cut wider than `runs list`'s; `--json` shows them whole. */
const SHOW_CELL_WIDTH = 100;

export function registerRunsShow(group: Command, io: CliIo): void {
  group
    .command("show")
    .description(
      "a run's params, metrics, time-series summary, classification metrics, executions, artifacts and pipeline jobs",
    )
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .option("-e, --experiment <name>", "the run's experiment (needed when several have a run of that name)")
    .addHelpText(
      "after",
      `
Values longer than ${SHOW_CELL_WIDTH} columns are cut with "…"; --json shows every value whole.
Next to a logged ROC curve, "area under these points" is computed here from the logged points by the
trapezoid rule; it is not a logged metric (a logged metric.auc may have been computed another way).
${examples("exprun runs show demo/mlp-h16-lr0-3", "exprun runs show mlp-h16-lr0-3 -e demo --json")}`,
    )
    .action(
      action(io, async (ctx, opts, spec: string) =>
        showRun(ctx, spec, opts.experiment as string | undefined),
      ),
    );
}

/** `exprun runs show`: everything logged to one run. */
async function showRun(ctx: Context, spec: string, experimentOption: string | undefined): Promise<void> {
  const backend = await ctx.existingBackend();
  const record = await resolveRun(backend, spec, experimentOption ?? ctx.defaultExperiment());
  const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
  const [downsampled, classification, executions, artifacts, pipelineJobs] = await Promise.all([
    // One bucket per metric: count, first/last and min/max of the whole series, read as a stream.
    run.getTimeSeries({ buckets: 1 }),
    run.getClassificationMetrics(),
    run.getExecutions(),
    run.getArtifacts(),
    run.getLoggedPipelineJobs(),
  ]);
  const series = summariseSeries(downsampled);
  if (ctx.json) {
    return ctx.printJson({
      ...runJson(record),
      timeSeries: series,
      classificationMetrics: classification.map((cm) =>
        cm.fpr && cm.tpr ? { ...cm, areaUnderLoggedPoints: rocAuc(cm.fpr, cm.tpr) } : cm,
      ),
      executions: executions.map((e) => {
        const json = e.toJSON();
        return { ...json, createTime: isoTime(json.createTime), updateTime: isoTime(json.updateTime) };
      }),
      artifacts: artifacts.map((a) => {
        const json = a.toJSON();
        return { ...json, createTime: isoTime(json.createTime), updateTime: isoTime(json.updateTime) };
      }),
      pipelineJobs: pipelineJobs.map((p) => ({ resourceName: p.resourceName, displayName: p.displayName })),
    });
  }
  const c = ctx.colors;
  const table = (head: string[], rows: string[][], numeric?: boolean[]) =>
    renderTable({ head, rows, maxCellWidth: SHOW_CELL_WIDTH, ...(numeric ? { numeric } : {}) });
  const section = (title: string) => ctx.out(`\n${c.bold(c.underline(title))}`);
  const none = c.dim("(none)");
  ctx.out(
    renderPairs(
      ["run", c.bold(safe(`${record.experiment}/${record.name}`))],
      [
        ["state", safe(record.state)],
        ["type", safe(record.runType)],
        ["created", formatTime(record.createTime)],
        ["updated", formatTime(record.updateTime)],
        ...(record.tensorboardRun
          ? ([["TensorBoard run", safe(record.tensorboardRun)]] as [string, string][])
          : []),
        ...(record.description ? ([["note", safe(record.description)]] as [string, string][]) : []),
      ],
      SHOW_CELL_WIDTH,
    ),
  );
  const tags = Object.entries(record.tags);
  if (tags.length) {
    section("Tags");
    ctx.out(
      table(
        ["tag", "value"],
        tags.map(([k, v]) => [safe(k), safe(v)]),
      ),
    );
  }
  section("Params");
  const params = Object.entries(record.params);
  ctx.out(
    params.length
      ? table(
          ["param", "value"],
          params.map(([k, v]) => [safe(k), formatValue(v, true)]),
        )
      : none,
  );
  section("Metrics (as logged)");
  const metrics = Object.entries(record.metrics);
  ctx.out(
    metrics.length
      ? table(
          ["metric", "value"],
          metrics.map(([k, v]) => [safe(k), formatValue(v, true)]),
        )
      : none,
  );
  section("Time series");
  const names = Object.keys(series);
  ctx.out(
    names.length
      ? table(
          ["metric", "steps", "first step", "last step", "last", "min", "max"],
          names.map((n) => {
            const s = series[n]!;
            return [
              safe(n),
              String(s.steps),
              String(s.firstStep),
              String(s.lastStep),
              formatNumber(s.last),
              formatNumber(s.min),
              formatNumber(s.max),
            ];
          }),
          [false, true, true, true, true, true, true],
        )
      : none,
  );
  section("Classification metrics");
  if (classification.length === 0) ctx.out(none);
  for (const cm of classification) ctx.out(renderClassification(cm, c));
  section("Executions");
  ctx.out(
    executions.length
      ? table(
          ["id", "schema", "name", "state", "inputs", "outputs"],
          executions.map((e) => {
            const j = e.toJSON();
            return [
              safe(j.id),
              safe(j.schemaTitle),
              safe(j.displayName),
              safe(j.state),
              j.inputArtifacts.map(safe).join("\n"),
              j.outputArtifacts.map(safe).join("\n"),
            ];
          }),
        )
      : none,
  );
  section("Artifacts");
  ctx.out(
    artifacts.length
      ? table(
          ["id", "schema", "name", "uri", "state"],
          artifacts.map((a) => [a.id, a.schemaTitle, a.displayName, a.uri, a.state].map(safe)),
        )
      : none,
  );
  section("Pipeline jobs");
  ctx.out(
    pipelineJobs.length
      ? table(
          ["display name", "resource name"],
          pipelineJobs.map((p) => [safe(p.displayName), safe(p.resourceName)]),
        )
      : none,
  );
}

/**
 * A confusion matrix as a table (rows: true label, columns: predicted) and a ROC summary whose area
 * is labelled as computed here from the logged points, so it is not mistaken for a logged metric.
 */
export function renderClassification(cm: ClassificationMetrics, c: Colors): string {
  const lines: string[] = [c.bold(safe(cm.displayName || cm.id))];
  if (cm.labels && cm.matrix) {
    const labels = cm.labels.map(safe);
    lines.push(
      renderTable({
        head: ["true \\ predicted", ...labels],
        rows: cm.matrix.map((row, i) => [labels[i] ?? String(i), ...row.map((v) => formatValue(v))]),
        numeric: [false, ...labels.map(() => true)],
      }),
    );
  }
  if (cm.fpr && cm.tpr && cm.thresholds) {
    const area = rocAuc(cm.fpr, cm.tpr);
    const logged = `ROC curve: ${cm.fpr.length} logged point${cm.fpr.length === 1 ? "" : "s"}`;
    lines.push(
      area === undefined
        ? `${logged}; no area under them ${c.dim("(it takes two points or more, with finite rates)")}`
        : `${logged}; area under these points ${formatNumber(area, true)} ` +
            c.dim("(trapezoid rule, computed here; not a logged metric)"),
    );
    const step = Math.max(1, Math.ceil(cm.fpr.length / 8));
    const rows: string[][] = [];
    for (let i = 0; i < cm.fpr.length; i += step) {
      rows.push([formatNumber(cm.thresholds[i]!), formatNumber(cm.fpr[i]!), formatNumber(cm.tpr[i]!)]);
    }
    lines.push(
      renderTable({
        head: ["threshold", "false positive rate", "true positive rate"],
        rows,
        numeric: [true, true, true],
      }),
    );
  }
  return lines.join("\n");
}
