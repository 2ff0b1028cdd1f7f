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
 * Gathers what an import reads, run by run, into an {@link ImportPlan}: the experiments and runs with
 * their exprun names and counts. Shared by {@link planImport} and `importInto`.
 */
export class PlanBuilder {
  readonly #source: ImportSource;
  readonly #experiments = new Map<string, ExperimentMapping>();
  readonly #runs: RunMapping[] = [];
  #points = 0;
  #params = 0;
  #metrics = 0;
  #tags = 0;

  constructor(source: ImportSource) {
    this.#source = source;
  }

  /** Counts one run, whose series hold `points` points. */
  add(run: ImportedRun, points: number): void {
    const key = run.experiment.name;
    let experiment = this.#experiments.get(key);
    if (!experiment) {
      experiment = { from: run.experiment.sourceName, sourceId: run.experiment.sourceId, to: key, runs: 0 };
      this.#experiments.set(key, experiment);
    }
    experiment.runs++;
    const counts = {
      params: Object.keys(run.params).length,
      metrics: Object.keys(run.metrics).length,
      tags: Object.keys(run.tags).length,
    };
    this.#runs.push({
      experiment: key,
      from: run.sourceName,
      sourceId: run.sourceId,
      to: run.name,
      state: run.state,
      ...counts,
      points,
    });
    this.#points += points;
    this.#params += counts.params;
    this.#metrics += counts.metrics;
    this.#tags += counts.tags;
  }

  /** The plan so far, with the source report's skipped items and warnings as they are now. */
  plan(): ImportPlan {
    const source = this.#source;
    return {
      source: source.kind,
      path: source.path,
      experiments: this.#experiments.size,
      runs: this.#runs.length,
      points: this.#points,
      params: this.#params,
      metrics: this.#metrics,
      tags: this.#tags,
      mapping: { experiments: [...this.#experiments.values()], runs: [...this.#runs] },
      skipped: { ...source.report.skipped },
      warnings: [...source.report.warnings],
    };
  }
}

/**
 * Reads a whole source without writing anything and says what an import would bring: experiments
 * and runs with their exprun names, counts of params, metrics, tags and points, what is skipped
 * and the warnings. Memory stays bounded: runs are read one at a time and their series streamed.
 * (`importInto` with `dryRun` also compares with a target store: what it would write.)
 */
export async function planImport(source: ImportSource, options: PlanOptions = {}): Promise<ImportPlan> {
  const plan = new PlanBuilder(source);
  for await (const run of source.runs()) {
    plan.add(run, await countPoints(run));
    options.onRun?.(run);
  }
  return plan.plan();
}
