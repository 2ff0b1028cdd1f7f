import { type RunRecord, SCHEMA, type Value } from "@exprun/core";
import type { Context } from "./contexts.js";
import { incarnationOf, scalarMap, toRunState } from "./records.js";
import { allArtifacts } from "./resources.js";
import { lastSegment, type Session, timestampMs } from "./session.js";
import { fromProtoStruct } from "./struct.js";

/** Artifact schemas whose metadata Python shows as a pipeline run's metrics (`pipeline_jobs.py`). */
const METRICS_SCHEMAS = [
  "system.Metrics",
  SCHEMA.classificationMetrics,
  "google.RegressionMetrics",
  "google.ForecastingMetrics",
];

/** Python strips this many characters (`input:`) from a pipeline parameter's key. */
const PIPELINE_PARAM_PREFIX_LENGTH = "input:".length;

/**
 * A `system.PipelineRun` child of an experiment (a PipelineJob submitted with `experiment=`) as a
 * row of the experiment, exactly as Python's `PipelineJob._query_experiment_row` builds it: params
 * from the first `system.Run` execution in the pipeline-run context (keys without their `input:`
 * prefix), the state of that execution, and metrics merged from the context's metrics artifacts.
 * Two list calls per pipeline run; a run without an execution has no params and state `NEW`.
 */
export async function pipelineRunRecord(
  session: Session,
  experiment: string,
  context: Context,
): Promise<RunRecord> {
  const inContext = `in_context("${context.name ?? ""}")`;
  const [[executions], artifacts] = await Promise.all([
    session.call(() =>
      session.md.listExecutions(
        { parent: session.store, filter: `${inContext} AND schema_title="${SCHEMA.legacyRun}"`, pageSize: 1 },
        { autoPaginate: false },
      ),
    ),
    allArtifacts(
      session,
      `${inContext} AND (${METRICS_SCHEMAS.map((s) => `schema_title="${s}"`).join(" OR ")})`,
    ),
  ]);
  const first = executions[0];
  const params: Record<string, Value> = {};
  for (const [key, value] of Object.entries(scalarMap(fromProtoStruct(first?.metadata)))) {
    params[key.slice(PIPELINE_PARAM_PREFIX_LENGTH)] = value;
  }
  const metrics: Record<string, Value> = {};
  for (const artifact of artifacts) Object.assign(metrics, scalarMap(fromProtoStruct(artifact.metadata)));
  return {
    experiment,
    name: context.displayName || lastSegment(context.name ?? ""),
    incarnation: incarnationOf(context),
    tags: { ...(context.labels ?? {}) },
    description: context.description ?? "",
    runType: SCHEMA.pipelineRun,
    state: toRunState(first?.state),
    params,
    metrics,
    createTime: timestampMs(context.createTime),
    updateTime: timestampMs(context.updateTime),
  };
}
