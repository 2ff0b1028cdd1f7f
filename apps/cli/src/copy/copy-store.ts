import {
  type ArtifactRecord,
  backendSeries,
  type CheckedBackend,
  collectPages,
  type DesiredRun,
  type ExecutionRecord,
  type ExperimentRecord,
  experimentNotFound,
  mapLimit,
  NotFoundError,
  parseTensorboardRunName,
  ResourceSync,
  type RunRecord,
  type SyncRunResult,
  syncExperiment,
  syncRun,
  type Value,
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
    const inTarget = await target.getExperiment(experiment.name);
    const outcome = await syncExperiment(target, experiment, { dryRun });
    if (outcome.created) summary.experiments.created++;
    else if (outcome.updated) summary.experiments.updated++;
    else summary.experiments.unchanged++;
    const backingTensorboard = inTarget?.backingTensorboard ?? experiment.backingTensorboard;
    const existing = new Map(
      (inTarget ? await collectPages((page) => target.listRuns(experiment.name, page)) : []).map(
        (r) => [r.name, r] as const,
      ),
    );
    // Missing runs are created one by one first, so the target lists them in the source's order;
    // then every run is brought up to date, several at once.
    const created = new Map<string, RunRecord | undefined>();
    for (const run of runs) {
      if (existing.has(run.name)) continue;
      const { name, runType, state, createTime, updateTime } = run;
      await syncRun(
        target,
        experiment.name,
        { name, runType, state, createTime, updateTime },
        {
          existing: null,
          dryRun,
        },
      );
      created.set(
        run.name,
        dryRun ? undefined : await target.getRun({ experiment: experiment.name, run: run.name }),
      );
    }
    await mapLimit(runs, options.concurrency ?? 4, async (run) => {
      const fresh = created.has(run.name);
      const current = fresh ? created.get(run.name) : existing.get(run.name);
      if (!current && !(fresh && dryRun)) {
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
      const desired: DesiredRun = {
        ...shape(run, target, summary.warnings),
        series: backendSeries(source, ref),
        artifacts: artifactIds,
        executions: executionIds,
        children: await source.listRunChildren(ref),
        ...tensorboardFor(run, target, backingTensorboard),
      };
      const result = await syncRun(target, experiment.name, desired, {
        existing: current ?? null,
        fresh,
        dryRun,
      });
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

/**
 * The parts of a source run that `syncRun` compares. Values the target cannot keep (NaN and ±Infinity
 * in params and metrics on Vertex) are left out with a warning naming each: copying the rest beats
 * refusing the run, and a value stored as something else (Vertex's `numberValue: null`) never happens.
 */
function shape(run: RunRecord, target: CheckedBackend, warnings: string[]) {
  const keep = (values: Record<string, Value>, kind: "param" | "metric") => {
    if (target.capabilities.nonFiniteValues) return values;
    const out: Record<string, Value> = {};
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === "number" && !Number.isFinite(value)) {
        warnings.push(
          `${run.experiment}/${run.name}: ${kind} ${JSON.stringify(key)} = ${value} was not copied: the ${target.name} store cannot keep NaN or ±Infinity in ${kind}s.`,
        );
      } else out[key] = value;
    }
    return out;
  };
  return {
    name: run.name,
    runType: run.runType,
    state: run.state,
    params: keep(run.params, "param"),
    metrics: keep(run.metrics, "metric"),
    tags: run.tags,
    description: run.description,
    createTime: run.createTime,
    updateTime: run.updateTime,
  };
}

/** The source run's TensorBoard, else, on a store that needs one for series, the experiment's. */
function tensorboardFor(run: RunRecord, target: CheckedBackend, backing: string | undefined) {
  const tensorboard =
    run.tensorboardRun !== undefined
      ? (parseTensorboardRunName(run.tensorboardRun)?.tensorboard ?? run.tensorboardRun)
      : target.capabilities.requiresTensorboard
        ? backing
        : undefined;
  return tensorboard ? { tensorboard } : {};
}

function count(summary: CopySummary, result: SyncRunResult): void {
  const c = summary.copied;
  c.params += result.params;
  c.metrics += result.metrics;
  c.states += result.state ? 1 : 0;
  c.tags += result.tags;
  c.notes += result.description ? 1 : 0;
  c.points += result.points;
  c.tensorboards += result.tensorboard ? 1 : 0;
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
