import {
  type Artifact,
  type Backend,
  Experiment,
  type ExperimentRecord,
  ExperimentRun,
  type Expr,
  evaluate,
  rocAuc,
  type Value,
} from "@exprun/core";
import { ApiError } from "./query.js";
import { scanRuns } from "./runs-table.js";
import { summarizeSeries } from "./series-read.js";

// Reads behind the JSON API, each through core: experiments and runs by core's API objects, lists
// page by page (never a whole store in memory at once).

export interface ExperimentSummary {
  name: string;
  description: string;
  createTime: number;
  /** The latest update of the experiment or any of its runs. */
  lastUpdate: number;
  runs: number;
  runsByState: Record<string, number>;
}

/** The experiment, or a 404 that says how to find the right name. */
export async function getExperiment(backend: Backend, name: string): Promise<ExperimentRecord> {
  try {
    return (await Experiment.get(name, { backend })).toJSON();
  } catch (error) {
    if ((error as { code?: string }).code === "NOT_FOUND") {
      throw new ApiError(404, "NOT_FOUND", `Experiment ${JSON.stringify(name)} was not found.`);
    }
    throw error;
  }
}

export async function summarizeExperiment(
  backend: Backend,
  record: ExperimentRecord,
): Promise<ExperimentSummary> {
  const runsByState: Record<string, number> = {};
  let runs = 0;
  let lastUpdate = record.updateTime;
  for await (const run of scanRuns(backend, record.name, false)) {
    runs++;
    runsByState[run.state] = (runsByState[run.state] ?? 0) + 1;
    if (run.updateTime > lastUpdate) lastUpdate = run.updateTime;
  }
  return {
    name: record.name,
    description: record.description,
    createTime: record.createTime,
    lastUpdate,
    runs,
    runsByState,
  };
}

interface ExperimentsToken {
  t?: string;
  s: number;
}

/**
 * A page of experiments whose name or description contains `q` (case-insensitive), with run counts.
 * The token remembers the store's page and how many of it were already returned.
 */
export async function listExperiments(
  backend: Backend,
  options: { q?: string | undefined; pageSize: number; pageToken?: string | undefined },
): Promise<{ items: ExperimentSummary[]; nextPageToken?: string }> {
  let token: ExperimentsToken = { s: 0 };
  if (options.pageToken) {
    try {
      token = JSON.parse(Buffer.from(options.pageToken, "base64url").toString("utf8")) as ExperimentsToken;
      if (typeof token.s !== "number" || (token.t !== undefined && typeof token.t !== "string"))
        throw new Error();
    } catch {
      throw new ApiError(
        400,
        "BAD_CURSOR",
        `Query parameter "pageToken": not a token this server issued.`,
        "pageToken",
      );
    }
  }
  const needle = options.q?.toLowerCase();
  const matches: ExperimentRecord[] = [];
  let storeToken = token.t;
  let skip = token.s;
  let next: ExperimentsToken | undefined;
  for (;;) {
    const page = await backend.listExperiments({
      pageSize: 200,
      ...(storeToken ? { pageToken: storeToken } : {}),
    });
    for (let i = skip; i < page.items.length; i++) {
      const e = page.items[i]!;
      if (needle && !`${e.name}\n${e.description}`.toLowerCase().includes(needle)) continue;
      if (matches.length === options.pageSize) {
        next = { ...(storeToken ? { t: storeToken } : {}), s: i };
        break;
      }
      matches.push(e);
    }
    skip = 0;
    if (next || !page.nextPageToken) break;
    storeToken = page.nextPageToken;
  }
  const items = [];
  for (const record of matches) items.push(await summarizeExperiment(backend, record));
  return {
    items,
    ...(next ? { nextPageToken: Buffer.from(JSON.stringify(next)).toString("base64url") } : {}),
  };
}

/** The run through core, or a 404. */
export async function getRun(backend: Backend, experiment: string, run: string): Promise<ExperimentRun> {
  try {
    return await ExperimentRun.get(run, { backend, experiment });
  } catch (error) {
    if ((error as { code?: string }).code === "NOT_FOUND") {
      throw new ApiError(
        404,
        "NOT_FOUND",
        `Run ${JSON.stringify(run)} was not found in experiment ${JSON.stringify(experiment)}.`,
      );
    }
    throw error;
  }
}

function artifactJson(a: Artifact) {
  return {
    id: a.id,
    displayName: a.displayName,
    schemaTitle: a.schemaTitle,
    uri: a.uri,
    state: a.state,
    description: a.description,
    createTime: a.createTime.getTime(),
  };
}

/** Everything the run page shows, in one response (the series themselves come per chart). */
export async function readRunDetail(backend: Backend, experiment: string, name: string) {
  const run = await getRun(backend, experiment, name);
  const record = run.toJSON();
  const [series, classification, executions, artifacts, pipelineJobs] = await Promise.all([
    summarizeSeries(run),
    run.getClassificationMetrics(),
    run.getExecutions(),
    run.getArtifacts(),
    run.getLoggedPipelineJobs(),
  ]);
  const executionsJson = [];
  for (const execution of executions) {
    const [inputs, outputs] = await Promise.all([
      execution.getInputArtifacts(),
      execution.getOutputArtifacts(),
    ]);
    executionsJson.push({
      id: execution.id,
      displayName: execution.displayName,
      schemaTitle: execution.schemaTitle,
      state: execution.state,
      createTime: execution.createTime.getTime(),
      inputs: inputs.map(artifactJson),
      outputs: outputs.map(artifactJson),
    });
  }
  return {
    run: {
      experiment: record.experiment,
      name: record.name,
      runType: record.runType,
      state: record.state,
      createTime: record.createTime,
      updateTime: record.updateTime,
      tensorboardRun: record.tensorboardRun ?? null,
      params: record.params,
      metrics: record.metrics,
      tags: record.tags ?? {},
      description: record.description ?? "",
    },
    series,
    classification: classification.map((c) => {
      const auc = c.fpr && c.tpr ? rocAuc(c.fpr, c.tpr) : undefined;
      return auc === undefined ? c : { ...c, auc };
    }),
    executions: executionsJson,
    artifacts: artifacts.map(artifactJson),
    pipelineJobs: pipelineJobs.map((p) => ({ resourceName: p.resourceName, displayName: p.displayName })),
  };
}

export interface CompareRun {
  name: string;
  state: string;
  createTime: number;
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  seriesMetrics: string[];
}

/**
 * The runs asked for (in the order asked), the params that differ between them, and every
 * time-series metric any of them has. One pass over the experiment's listing.
 */
export async function readCompare(backend: Backend, experiment: string, names: readonly string[]) {
  const wanted = new Set(names);
  const found = new Map<string, CompareRun>();
  for await (const run of scanRuns(backend, experiment, true)) {
    if (!wanted.has(run.name)) continue;
    found.set(run.name, {
      name: run.name,
      state: run.state,
      createTime: run.createTime,
      params: run.params,
      metrics: run.metrics,
      seriesMetrics: Object.keys(run.latestTimeSeries ?? {}),
    });
  }
  const runs = names.filter((n) => found.has(n)).map((n) => found.get(n)!);
  const keys = new Set<string>();
  for (const r of runs) for (const k in r.params) keys.add(k);
  const differing: string[] = [];
  let same = 0;
  for (const key of [...keys].sort()) {
    const first = runs[0]!.params[key];
    if (runs.every((r) => key in r.params && Object.is(r.params[key], first))) same++;
    else differing.push(key);
  }
  const metrics = new Set<string>();
  for (const r of runs) for (const m of r.seriesMetrics) metrics.add(m);
  return {
    runs,
    missing: names.filter((n) => !found.has(n)),
    params: { differing, same },
    seriesMetrics: [...metrics].sort(),
  };
}

/**
 * Columns of values for parallel coordinates: one array per field (a missing value is `null`), over
 * the runs matching the filter, at most `limit` of them (in the store's order).
 */
export async function readParallel(
  backend: Backend,
  experiment: string,
  options: { fields: readonly string[]; filter: Expr | undefined; limit: number },
) {
  const wantsSeries = options.fields.some((f) => f.startsWith("series."));
  const runs: string[] = [];
  const states: string[] = [];
  const columns: (Value | null)[][] = options.fields.map(() => []);
  let total = 0;
  for await (const run of scanRuns(backend, experiment, wantsSeries)) {
    if (options.filter && !evaluate(options.filter, run)) continue;
    total++;
    if (runs.length >= options.limit) continue;
    runs.push(run.name);
    states.push(run.state);
    options.fields.forEach((field, i) => {
      const dot = field.indexOf(".");
      const kind = field.slice(0, dot);
      const key = field.slice(dot + 1);
      const value =
        kind === "param"
          ? run.params[key]
          : kind === "metric"
            ? run.metrics[key]
            : kind === "tag"
              ? run.tags?.[key]
              : run.latestTimeSeries?.[key]?.value;
      columns[i]!.push(value ?? null);
    });
  }
  return { fields: options.fields, runs, states, columns, total, truncated: total > runs.length };
}
