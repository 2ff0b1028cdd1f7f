import {
  type Backend,
  collectPages,
  type ExperimentRecord,
  NotFoundError,
  type RunRecord,
} from "@exprun/core";
import { copyRun, type RunLinks } from "./copy-run.js";
import { ResourceMapper } from "./resources.js";
import { type CopySummary, emptySummary } from "./summary.js";

export interface CopyOptions {
  from: string;
  to: string;
  /** Only these experiments (default: all). */
  experiments?: string[];
  /** Compare and count what would be copied, writing nothing. @default false */
  dryRun?: boolean;
  /** Runs copied at once. @default 4 */
  concurrency?: number;
  /** Called once the number of runs is known, then after each run. */
  onStart?(runs: number): void | Promise<void>;
  onRun?(run: RunRecord): void;
}

/**
 * Copies experiments and runs with all their data from `source` to `target`. Incremental: what the
 * target already has (compared field by field) is not written again, so a second copy writes nothing.
 * Never deletes anything in the target.
 */
export async function copyStore(
  source: Backend,
  target: Backend,
  options: CopyOptions,
): Promise<CopySummary> {
  const summary = emptySummary(options.from, options.to, options.dryRun === true);
  const all = await collectPages((page) => source.listExperiments(page));
  let experiments: ExperimentRecord[] = all;
  if (options.experiments?.length) {
    experiments = options.experiments.map((name) => {
      const found = all.find((e) => e.name === name);
      if (!found) {
        throw new NotFoundError(`Experiment ${JSON.stringify(name)} was not found in ${options.from}.`, {
          backend: source.name,
        });
      }
      return found;
    });
  }
  const plan: { experiment: ExperimentRecord; runs: RunRecord[] }[] = [];
  for (const experiment of experiments) {
    plan.push({ experiment, runs: await collectPages((page) => source.listRuns(experiment.name, page)) });
  }
  await options.onStart?.(plan.reduce((n, p) => n + p.runs.length, 0));
  const dryRun = options.dryRun === true;
  const mapper = new ResourceMapper(source, target, summary, dryRun);
  const links = await copyResources(
    source,
    plan.flatMap((p) => p.runs),
    mapper,
  );
  for (const { experiment, runs } of plan) {
    const inTarget = await copyExperiment(target, experiment, summary, dryRun);
    const backingTensorboard = inTarget
      ? (await target.getExperiment(experiment.name))?.backingTensorboard
      : experiment.backingTensorboard;
    const existing = new Map(
      (inTarget ? await collectPages((page) => target.listRuns(experiment.name, page)) : []).map(
        (r) => [r.name, r] as const,
      ),
    );
    // Create missing runs one by one first, so the target lists them in the source's order.
    const created = new Set<string>();
    for (const run of runs) {
      if (!existing.has(run.name)) {
        if (!dryRun) await target.createRun(experiment.name, { name: run.name, state: run.state });
        created.add(run.name);
      }
    }
    const createdRecords = new Map(
      (dryRun
        ? runs.map((r) => ({ ...r, params: {}, metrics: {}, tensorboardRun: undefined }))
        : await collectPages((page) => target.listRuns(experiment.name, page))
      )
        .filter((r) => created.has(r.name))
        .map((r) => [r.name, r] as const),
    );
    await pool(runs, options.concurrency ?? 4, async (run) => {
      const fresh = created.has(run.name);
      const record = fresh ? createdRecords.get(run.name) : existing.get(run.name);
      if (!record)
        throw new NotFoundError(`Run ${run.name} vanished from the target while copying.`, {
          backend: target.name,
        });
      const runLinks = links.get(`${run.experiment}/${run.name}`)!;
      const wrote = await copyRun(
        source,
        target,
        run,
        { record, fresh, dryRun, backingTensorboard },
        runLinks,
        mapper,
        summary,
      );
      if (fresh) summary.runs.created++;
      else if (wrote) summary.runs.updated++;
      else summary.runs.unchanged++;
      options.onRun?.(run);
    });
  }
  if (!dryRun) await target.flush?.();
  return summary;
}

/**
 * Reads each run's attributed artifacts and executions, then creates every one the runs need in the
 * source's creation order, before any run is copied: stores list resources in creation order, so
 * this keeps each run's list in the source's order even though runs are copied concurrently.
 */
async function copyResources(
  source: Backend,
  runs: RunRecord[],
  mapper: ResourceMapper,
): Promise<Map<string, RunLinks>> {
  const links = new Map<string, RunLinks>();
  const artifacts = new Set<string>();
  const executions = new Set<string>();
  for (const run of runs) {
    const ref = { experiment: run.experiment, run: run.name };
    const runLinks: RunLinks = {
      artifacts: await collectPages((page) => source.listArtifacts({ ...page, run: ref })),
      executions: await collectPages((page) => source.listExecutions({ ...page, run: ref })),
    };
    links.set(`${run.experiment}/${run.name}`, runLinks);
    for (const a of runLinks.artifacts) artifacts.add(a.id);
    for (const e of runLinks.executions) {
      executions.add(e.id);
      for (const id of [...e.inputArtifacts, ...e.outputArtifacts]) artifacts.add(id);
    }
  }
  if (artifacts.size) {
    for (const a of await collectPages((page) => source.listArtifacts(page))) {
      if (artifacts.has(a.id)) await mapper.artifact(a);
    }
  }
  if (executions.size) {
    for (const e of await collectPages((page) => source.listExecutions(page))) {
      if (executions.has(e.id)) await mapper.execution(e);
    }
  }
  return links;
}

/** Creates or updates the experiment; resolves whether the target has it now. */
async function copyExperiment(
  target: Backend,
  source: ExperimentRecord,
  summary: CopySummary,
  dryRun: boolean,
): Promise<boolean> {
  const existing = await target.getExperiment(source.name);
  if (!existing) {
    summary.experiments.created++;
    if (dryRun) return false;
    await target.createExperiment({
      name: source.name,
      description: source.description,
      ...(source.backingTensorboard ? { backingTensorboard: source.backingTensorboard } : {}),
    });
    return true;
  }
  const patch: { description?: string; backingTensorboard?: string } = {};
  if (existing.description !== source.description) patch.description = source.description;
  if (source.backingTensorboard && !existing.backingTensorboard) {
    patch.backingTensorboard = source.backingTensorboard;
  }
  if (Object.keys(patch).length) {
    if (!dryRun) await target.updateExperiment(source.name, patch);
    summary.experiments.updated++;
  } else {
    summary.experiments.unchanged++;
  }
  return true;
}

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}
