import { type ClassificationMetrics, ExperimentRun, readSeriesPoints } from "@exprun/core";
import type { Context } from "../context.js";
import { isoTime } from "../format/json.js";
import { renderPairs, renderTable } from "../format/table.js";
import { formatNumber, formatTime, formatValue } from "../format/value.js";
import { resolveRun } from "../resolve.js";
import { runJson } from "../runs-data.js";
import { rocAuc, summariseSeries } from "../summary.js";

/** `exprun runs show`: everything logged to one run. */
export async function showRun(
  ctx: Context,
  spec: string,
  experimentOption: string | undefined,
): Promise<void> {
  const backend = await ctx.existingBackend();
  const record = await resolveRun(backend, spec, experimentOption ?? ctx.defaultExperiment());
  const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
  const [points, classification, executions, artifacts, pipelineJobs] = await Promise.all([
    readSeriesPoints(backend, run.ref),
    run.getClassificationMetrics(),
    run.getExecutions(),
    run.getArtifacts(),
    run.getLoggedPipelineJobs(),
  ]);
  const series = summariseSeries(points);
  if (ctx.json) {
    return ctx.printJson({
      ...runJson(record),
      timeSeries: series,
      classificationMetrics: classification,
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
  const section = (title: string) => ctx.out(`\n${c.bold(c.underline(title))}`);
  ctx.out(
    renderPairs(
      ["run", c.bold(`${record.experiment}/${record.name}`)],
      [
        ["state", record.state],
        ["type", record.runType],
        ["created", formatTime(record.createTime)],
        ["updated", formatTime(record.updateTime)],
        ...(record.tensorboardRun
          ? ([["TensorBoard run", record.tensorboardRun]] as [string, string][])
          : []),
      ],
    ),
  );
  section("Params");
  const params = Object.entries(record.params);
  ctx.out(
    params.length
      ? renderTable({ head: ["param", "value"], rows: params.map(([k, v]) => [k, formatValue(v, true)]) })
      : c.dim("(none)"),
  );
  section("Metrics");
  const metrics = Object.entries(record.metrics);
  ctx.out(
    metrics.length
      ? renderTable({ head: ["metric", "value"], rows: metrics.map(([k, v]) => [k, formatValue(v, true)]) })
      : c.dim("(none)"),
  );
  section("Time series");
  const names = Object.keys(series).sort();
  ctx.out(
    names.length
      ? renderTable({
          head: ["metric", "steps", "first step", "last step", "last", "min", "max"],
          rows: names.map((n) => {
            const s = series[n]!;
            return [
              n,
              String(s.steps),
              String(s.firstStep),
              String(s.lastStep),
              formatNumber(s.last),
              formatNumber(s.min),
              formatNumber(s.max),
            ];
          }),
          numeric: [false, true, true, true, true, true, true],
        })
      : c.dim("(none)"),
  );
  section("Classification metrics");
  if (classification.length === 0) ctx.out(c.dim("(none)"));
  for (const cm of classification) ctx.out(renderClassification(cm, c.bold));
  section("Executions");
  ctx.out(
    executions.length
      ? renderTable({
          head: ["id", "schema", "name", "state", "inputs", "outputs"],
          rows: executions.map((e) => {
            const j = e.toJSON();
            return [
              j.id,
              j.schemaTitle,
              j.displayName,
              j.state,
              j.inputArtifacts.join("\n"),
              j.outputArtifacts.join("\n"),
            ];
          }),
        })
      : c.dim("(none)"),
  );
  section("Artifacts");
  ctx.out(
    artifacts.length
      ? renderTable({
          head: ["id", "schema", "name", "uri", "state"],
          rows: artifacts.map((a) => [a.id, a.schemaTitle, a.displayName, a.uri, a.state]),
        })
      : c.dim("(none)"),
  );
  section("Pipeline jobs");
  ctx.out(
    pipelineJobs.length
      ? renderTable({
          head: ["display name", "resource name"],
          rows: pipelineJobs.map((p) => [p.displayName, p.resourceName]),
        })
      : c.dim("(none)"),
  );
}

/** A confusion matrix as a table (rows: true label, columns: predicted) and a ROC summary. */
export function renderClassification(cm: ClassificationMetrics, bold: (s: string) => string): string {
  const lines: string[] = [bold(cm.displayName || cm.id)];
  if (cm.labels && cm.matrix) {
    lines.push(
      renderTable({
        head: ["true \\ predicted", ...cm.labels],
        rows: cm.matrix.map((row, i) => [cm.labels![i] ?? String(i), ...row.map((v) => formatValue(v))]),
        numeric: [false, ...cm.labels.map(() => true)],
      }),
    );
  }
  if (cm.fpr && cm.tpr && cm.thresholds) {
    const auc = rocAuc(cm.fpr, cm.tpr);
    lines.push(`ROC: ${cm.fpr.length} points, AUC ${formatNumber(auc)}`);
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
