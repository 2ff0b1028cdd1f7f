import {
  type Backend,
  type CheckedBackend,
  checkBackend,
  type ExperimentRecord,
  isExprunError,
  type RunRecord,
  type RunSyncResult,
  type SeriesChunk,
  type SeriesReader,
  syncExperiment,
  syncRun,
} from "@exprun/core";
import type { ImportedExperiment, ImportedRun, ImportSource } from "../model.js";
import { countPoints, type ImportPlan, PlanBuilder } from "../plan.js";
import { TargetFit } from "./fit.js";

/** What an import wrote (with `dryRun`, what it would write). */
export interface ImportWrites {
  experiments: { created: number; updated: number; unchanged: number };
  /** `failed`: runs the store refused (each with a warning); the others were brought up to date. */
  runs: { created: number; updated: number; unchanged: number; failed: number };
  params: number;
  metrics: number;
  tags: number;
  notes: number;
  /** Runs of the target whose state was changed to the source's. */
  states: number;
  /** Runs whose update time was set to the source's (stores that keep times). */
  times: number;
  points: number;
  /** Runs given the experiment's backing TensorBoard for their series (Vertex). */
  tensorboards: number;
}

/** What `exprun import` prints with `--json`: the plan (what the source holds) and what was written. */
export interface ImportSummary extends ImportPlan {
  /** The store written to (its backend name: `file`, `s3`, `vertex`, …). */
  store: string;
  dryRun: boolean;
  /** What was written; with `dryRun`, what would be (the source compared with the store). */
  written: ImportWrites;
  /** True when the store already held everything: nothing was (or would be) written. */
  nothingToWrite: boolean;
  /**
   * The source's create and update times are kept (`capabilities.keepsTimes`); false when the store
   * assigns its own (Vertex), which the CLI says.
   */
  timesKept: boolean;
}

export interface ImportOptions {
  /** Compare with the store and count what would be written; write nothing. @default false */
  dryRun?: boolean;
  /** Called after each run is brought up to date (for progress). */
  onRun?(run: ImportedRun): void;
}

/**
 * Writes a source into an exprun store through `@exprun/core` (the store is wrapped by
 * `checkBackend`, so every rule of core applies) and its run-sync, the routine `exprun copy` uses:
 * each experiment is created or its description brought up to date (`syncExperiment`), each run
 * created with its run type and, where the store keeps them, its create and update times, then
 * brought to the source's params, summary metrics, tags, note and state, and its series compared
 * bucket by bucket and streamed chunk by chunk (`syncRun`). Only differences are written, so a second
 * import writes nothing (`nothingToWrite`). What the store cannot keep is left out, counted in
 * `skipped` and warned about ({@link TargetFit}); the source is never changed.
 *
 * Runs are written one at a time, in source order, and memory stays bounded: a run's series are
 * settled by the reader (spilling to a temporary folder past `memoryPoints`) and written in batches.
 */
export async function importInto(
  source: ImportSource,
  target: Backend | CheckedBackend,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const store = checkBackend(target);
  const dryRun = options.dryRun === true;
  const plan = new PlanBuilder(source);
  const fit = new TargetFit(store, source.report);
  const written = emptyWrites();
  const experiments = new ExperimentTargets(store, dryRun, written);
  const withoutTensorboard = new Map<string, { runs: number; points: number }>();
  // Runs written by this import: a source may give one run twice (a resumed W&B run in two folders),
  // and the second must be synced with the first, not created again in a fresh experiment.
  const seen = new Set<string>();

  for await (const run of source.runs()) {
    const points = await countPoints(run);
    plan.add(run, points);
    const experiment = await experiments.get(run.experiment);
    const name = experiment.record?.name ?? run.experiment.name;
    const label = `${name}/${run.name}`;
    try {
      const existing =
        experiment.fresh && !seen.has(label)
          ? null
          : ((await store.getRun({ experiment: name, run: run.name })) ?? null);
      const fitted = fit.run(label, run, existing?.tags);
      let series: SeriesReader | undefined;
      if (points > 0 && !canHoldSeries(store, experiment.record, existing)) {
        const missing = withoutTensorboard.get(name) ?? { runs: 0, points: 0 };
        missing.runs++;
        missing.points += points;
        withoutTensorboard.set(name, missing);
        source.report.skip("pointsWithoutTensorboard", points);
      } else if (points > 0) {
        series =
          fitted.droppedSeries.size === 0 ? () => run.series() : () => without(run, fitted.droppedSeries);
      }
      const result = await syncRun(
        store,
        name,
        {
          name: run.name,
          runType: run.runType,
          state: run.state,
          params: fitted.params,
          metrics: fitted.metrics,
          tags: fitted.tags,
          ...(fitted.description !== undefined ? { description: fitted.description } : {}),
          ...(run.createTime !== undefined ? { createTime: run.createTime } : {}),
          ...(run.updateTime !== undefined ? { updateTime: run.updateTime } : {}),
          ...(series ? { series } : {}),
        },
        { existing, dryRun, backingTensorboard: experiment.record?.backingTensorboard },
      );
      seen.add(label);
      count(written, result);
      for (const warning of result.warnings) source.report.warn(warning);
    } catch (error) {
      // A run the store refuses (a rule of its own) is reported, and the import goes on; a failing
      // store (BACKEND, CLOSED) ends it. A second import resumes where this one stopped.
      if (!isExprunError(error, "VALIDATION") && !isExprunError(error, "INVALID_TYPE")) throw error;
      written.runs.failed++;
      source.report.skip("unwritableRuns");
      source.report.warn(
        `${label}: the ${store.name} store refused it (${(error as Error).message}); not imported`,
      );
    }
    options.onRun?.(run);
  }

  fit.finish();
  for (const [experiment, missing] of withoutTensorboard) {
    source.report.warn(
      `${experiment}: ${missing.points.toLocaleString("en-US")} time-series points of ${missing.runs.toLocaleString("en-US")} run(s) not imported: ` +
        `the ${store.name} store keeps time series in a TensorBoard and the experiment has none. Give it one ` +
        `(exprun experiments create ${experiment} --tensorboard projects/…/tensorboards/…, before importing) and import again.`,
    );
  }
  if (!dryRun) await store.flush();
  return {
    ...plan.plan(),
    store: store.name,
    dryRun,
    written,
    nothingToWrite: nothingWritten(written),
    timesKept: store.capabilities.keepsTimes,
  };
}

/** Whether the run's series have somewhere to go: a store that needs a TensorBoard needs one for the run. */
function canHoldSeries(
  store: CheckedBackend,
  experiment: ExperimentRecord | undefined,
  run: RunRecord | null,
): boolean {
  return (
    !store.capabilities.requiresTensorboard ||
    run?.tensorboardRun !== undefined ||
    experiment?.backingTensorboard !== undefined
  );
}

async function* without(run: ImportedRun, dropped: ReadonlySet<string>): AsyncGenerator<SeriesChunk> {
  for await (const chunk of run.series()) if (!dropped.has(chunk.metric)) yield chunk;
}

/** Each source experiment created or brought up to date once, the first time one of its runs comes. */
class ExperimentTargets {
  readonly #store: CheckedBackend;
  readonly #dryRun: boolean;
  readonly #written: ImportWrites;
  readonly #known = new Map<string, Promise<{ record: ExperimentRecord | undefined; fresh: boolean }>>();

  constructor(store: CheckedBackend, dryRun: boolean, written: ImportWrites) {
    this.#store = store;
    this.#dryRun = dryRun;
    this.#written = written;
  }

  /** The experiment in the store (`undefined` on a dry run that would create it); `fresh`: created now, so it has no runs. */
  get(experiment: ImportedExperiment): Promise<{ record: ExperimentRecord | undefined; fresh: boolean }> {
    let known = this.#known.get(experiment.name);
    if (!known) {
      known = this.#sync(experiment);
      this.#known.set(experiment.name, known);
    }
    return known;
  }

  async #sync(experiment: ImportedExperiment) {
    // A source without a description (TensorBoard, W&B) leaves the store's alone.
    const description =
      experiment.description !== ""
        ? experiment.description
        : ((await this.#store.getExperiment(experiment.name))?.description ?? "");
    const { outcome, record } = await syncExperiment(
      this.#store,
      { name: experiment.name, description },
      { dryRun: this.#dryRun },
    );
    this.#written.experiments[outcome]++;
    return { record, fresh: outcome === "created" };
  }
}

function emptyWrites(): ImportWrites {
  return {
    experiments: { created: 0, updated: 0, unchanged: 0 },
    runs: { created: 0, updated: 0, unchanged: 0, failed: 0 },
    params: 0,
    metrics: 0,
    tags: 0,
    notes: 0,
    states: 0,
    times: 0,
    points: 0,
    tensorboards: 0,
  };
}

function count(written: ImportWrites, result: RunSyncResult): void {
  if (result.created) written.runs.created++;
  else if (result.wrote) written.runs.updated++;
  else written.runs.unchanged++;
  written.params += result.params;
  written.metrics += result.metrics;
  written.tags += result.tags;
  written.notes += result.notes;
  written.states += result.states;
  written.times += result.times;
  written.points += result.points;
  written.tensorboards += result.tensorboards;
}

function nothingWritten(w: ImportWrites): boolean {
  return (
    w.experiments.created === 0 &&
    w.experiments.updated === 0 &&
    w.runs.created === 0 &&
    w.runs.updated === 0 &&
    w.runs.failed === 0 &&
    w.params + w.metrics + w.tags + w.notes + w.states + w.times + w.points + w.tensorboards === 0
  );
}
