import type { ImportedRun, ImportSource, SourceKind } from "./model.js";

/** How one source experiment is named in exprun. */
export interface ExperimentMapping {
  /** The name in the source. */
  from: string;
  sourceId: string;
  /** The exprun experiment name. */
  to: string;
  runs: number;
}

/** How one source run is named in exprun, and what it holds. */
export interface RunMapping {
  experiment: string;
  /** The run's name in the source. */
  from: string;
  sourceId: string;
  /** The exprun run name. */
  to: string;
  state: string;
  params: number;
  metrics: number;
  tags: number;
  points: number;
}

/** What an import reads from a source: the summary `--dry-run` and `--json` print. */
export interface ImportPlan {
  source: SourceKind;
  path: string;
  experiments: number;
  runs: number;
  /** Time-series points, one per (run, metric, step). */
  points: number;
  params: number;
  metrics: number;
  tags: number;
  mapping: { experiments: ExperimentMapping[]; runs: RunMapping[] };
  /** What has no place in exprun (or was deleted, or damaged), by kind. */
  skipped: Record<string, number>;
  warnings: string[];
}

export interface PlanOptions {
  /** Called after each run is read (for progress). */
  onRun?(run: ImportedRun): void;
}

/** Counts the points of a run's series (reading them once). */
export async function countPoints(run: ImportedRun): Promise<number> {
  let points = 0;
  for await (const chunk of run.series()) points += chunk.steps.length;
  return points;
}

/**
 * Reads a whole source without writing anything and says what an import would bring: experiments
 * and runs with their exprun names, counts of params, metrics, tags and points, what is skipped
 * and the warnings. Memory stays bounded: runs are read one at a time and their series streamed.
 */
export async function planImport(source: ImportSource, options: PlanOptions = {}): Promise<ImportPlan> {
  const experiments = new Map<string, ExperimentMapping>();
  const runs: RunMapping[] = [];
  let points = 0;
  let params = 0;
  let metrics = 0;
  let tags = 0;
  for await (const run of source.runs()) {
    const key = run.experiment.name;
    let experiment = experiments.get(key);
    if (!experiment) {
      experiment = { from: run.experiment.sourceName, sourceId: run.experiment.sourceId, to: key, runs: 0 };
      experiments.set(key, experiment);
    }
    experiment.runs++;
    const runPoints = await countPoints(run);
    const counts = {
      params: Object.keys(run.params).length,
      metrics: Object.keys(run.metrics).length,
      tags: Object.keys(run.tags).length,
    };
    runs.push({
      experiment: key,
      from: run.sourceName,
      sourceId: run.sourceId,
      to: run.name,
      state: run.state,
      ...counts,
      points: runPoints,
    });
    points += runPoints;
    params += counts.params;
    metrics += counts.metrics;
    tags += counts.tags;
    options.onRun?.(run);
  }
  return {
    source: source.kind,
    path: source.path,
    experiments: experiments.size,
    runs: runs.length,
    points,
    params,
    metrics,
    tags,
    mapping: { experiments: [...experiments.values()], runs },
    skipped: { ...source.report.skipped },
    warnings: [...source.report.warnings],
  };
}
