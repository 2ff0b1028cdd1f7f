import {
  type ArtifactRecord,
  backendSeries,
  type CheckedBackend,
  collectPages,
  type ExecutionRecord,
  type ExperimentRecord,
  experimentNotFound,
  mapLimit,
  NotFoundError,
  ResourceSync,
  type RunRecord,
  type RunSyncResult,
  syncExperiment,
  syncRun,
} from "@exprun/core";
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

/** The artifacts and executions attributed to a run in the source, in the source's order. */
interface RunLinks {
  artifacts: ArtifactRecord[];
  executions: ExecutionRecord[];
}

/**
 * Copies experiments and runs with all their data from `source` to `target`, through core's sync
 * (`syncExperiment`, `ResourceSync`, `syncRun`): what the target already has (compared field by field,
 * series bucket by bucket) is not written again, so a second copy writes nothing; run types and, where
 * the target keeps them, create and update times are kept; series are streamed chunk by chunk. Never
 * deletes anything in the target.
 */
export async function copyStore(
  source: CheckedBackend,
  target: CheckedBackend,
  options: CopyOptions,
): Promise<CopySummary> {
  const dryRun = options.dryRun === true;
  const summary = emptySummary(options.from, options.to, dryRun);
  const experiments = await chosenExperiments(source, options);
  const plan: { experiment: ExperimentRecord; runs: RunRecord[] }[] = [];
  for (const experiment of experiments) {
    plan.push({ experiment, runs: await collectPages((page) => source.listRuns(experiment.name, page)) });
  }
  await options.onStart?.(plan.reduce((n, p) => n + p.runs.length, 0));
  const resources = new ResourceSync(source, target, { dryRun });
  const links = await copyResources(
    source,
    plan.flatMap((p) => p.runs),
    resources,
  );
  for (const { experiment, runs } of plan) {
    const { outcome, record } = await syncExperiment(target, experiment, { dryRun });
    summary.experiments[outcome]++;
    const backingTensorboard = record?.backingTensorboard ?? experiment.backingTensorboard;
    const existing = new Map(
      (record && outcome !== "created"
        ? await collectPages((page) => target.listRuns(experiment.name, page))
        : []
      ).map((r) => [r.name, r] as const),
    );
    // Missing runs are created one by one first, so the target lists them in the source's order;
    // then every run is brought up to date, several at once.
    const created = new Map<string, RunRecord>();
    for (const run of runs) {
      if (existing.has(run.name)) continue;
      const { name, runType, state, createTime, updateTime } = run;
      const bare = await syncRun(
        target,
        experiment.name,
        { name, runType, state, createTime, updateTime, params: {}, metrics: {} },
        { existing: null, dryRun },
      );
      created.set(run.name, bare.record);
    }
    await mapLimit(runs, options.concurrency ?? 4, async (run) => {
      const fresh = created.get(run.name);
      const current = fresh ?? existing.get(run.name);
      if (!current) {
        throw new NotFoundError(`Run ${run.name} vanished from the target while copying.`, {
          backend: target.name,
        });
      }
      const ref = { experiment: run.experiment, run: run.name };
      const runLinks = links.get(`${run.experiment}/${run.name}`)!;
      const artifactIds: string[] = [];
      for (const a of runLinks.artifacts) {
        const id = await resources.artifact(a);
        if (id !== undefined) artifactIds.push(id);
      }
      const executionIds: string[] = [];
      for (const e of runLinks.executions) executionIds.push(await resources.execution(e));
      const result = await syncRun(
        target,
        experiment.name,
        {
          ...shape(run),
          series: backendSeries(source, ref),
          artifacts: artifactIds,
          executions: executionIds,
          children: await source.listRunChildren(ref),
        },
        { existing: current, fresh: fresh !== undefined, dryRun, backingTensorboard },
      );
      count(summary, result);
      if (fresh) summary.runs.created++;
      else if (result.wrote) summary.runs.updated++;
      else summary.runs.unchanged++;
      options.onRun?.(run);
    });
  }
  summary.copied.artifacts += resources.counts.artifacts;
  summary.copied.executions += resources.counts.executions;
  summary.copied.executionUpdates += resources.counts.executionUpdates;
  summary.warnings.push(...resources.counts.warnings);
  if (!dryRun) await target.flush();
  return summary;
}

/** The parts of a source run that `syncRun` compares. */
function shape(run: RunRecord) {
  return {
    name: run.name,
    runType: run.runType,
    state: run.state,
    params: run.params,
    metrics: run.metrics,
    tags: run.tags,
    description: run.description,
    createTime: run.createTime,
    updateTime: run.updateTime,
    tensorboardRun: run.tensorboardRun,
  };
}

function count(summary: CopySummary, result: RunSyncResult): void {
  const c = summary.copied;
  c.params += result.params;
  c.metrics += result.metrics;
  c.states += result.states;
  c.tags += result.tags;
  c.notes += result.notes;
  c.times += result.times;
  c.points += result.points;
  c.tensorboards += result.tensorboards;
  c.attributions += result.attributions;
  c.children += result.children;
  summary.warnings.push(...result.warnings);
}

async function chosenExperiments(source: CheckedBackend, options: CopyOptions): Promise<ExperimentRecord[]> {
  const all = await collectPages((page) => source.listExperiments(page));
  if (!options.experiments?.length) return all;
  return options.experiments.map((name) => {
    const found = all.find((e) => e.name === name);
    if (!found) {
      throw experimentNotFound(name, {
        backend: source.name,
        hint: `List the experiments of ${options.from} with: exprun experiments list --backend ${options.from}`,
      });
    }
    return found;
  });
}

/**
 * Reads each run's attributed artifacts and executions, then creates every one the runs need in the
 * source's creation order, before any run is copied: stores list resources in creation order, so
 * this keeps each run's list in the source's order even though runs are copied concurrently.
 */
async function copyResources(
  source: CheckedBackend,
  runs: RunRecord[],
  resources: ResourceSync,
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
      if (artifacts.has(a.id)) await resources.artifact(a);
    }
  }
  if (executions.size) {
    for (const e of await collectPages((page) => source.listExecutions(page))) {
      if (executions.has(e.id)) await resources.execution(e);
    }
  }
  return links;
}
