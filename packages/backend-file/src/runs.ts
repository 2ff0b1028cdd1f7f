import type { NewRun, Page, PageRequest, RunChild, RunPatch, RunRecord, RunRef } from "@exprun/core";
import { AlreadyExistsError, isLaterPoint, SCHEMA } from "@exprun/core";
import { BACKEND, isMissing, isRealDir, removeTree, uid } from "./fsio.js";
import { paginate, type Resources } from "./resources.js";
import { copyChildren, encodeChildren, toRunRecord } from "./runs-log.js";
import type { SeriesStore } from "./series-store.js";
import { type FileStore, runNotFound } from "./store.js";
import { encodeValues } from "./values.js";

/**
 * Runs: every change to any run of an experiment is one record appended to the experiment's
 * `runs.jsonl`, so listing 10,000 runs with params, metrics and latest time-series points is one
 * sequential read (of a snapshot plus the tail appended since). Each run's time series live in
 * `runs/<run>/timeseries.jsonl`.
 */
export class Runs {
  constructor(
    private readonly store: FileStore,
    private readonly series: SeriesStore,
    private readonly resources: Resources,
  ) {}

  async create(experiment: string, input: NewRun): Promise<RunRecord> {
    const ref = { experiment, run: input.name };
    this.store.paths.checkRun(experiment, input.name); // checks both names before anything is written
    await this.store.openForWrite();
    const { state, view } = await this.store.runs(experiment);
    const exists = () =>
      new AlreadyExistsError(
        `Run "${input.name}" already exists in experiment "${experiment}". Use another name.`,
        { backend: BACKEND },
      );
    const problem = view.problemError((p) => p.key === input.name);
    if (problem) throw problem;
    if (state.runs.has(input.name)) throw exists();
    const id = uid();
    const record: Record<string, unknown> = {
      op: "create",
      run: input.name,
      uid: id,
      t: Date.now(),
      runType: input.runType ?? SCHEMA.experimentRun,
      state: input.state,
    };
    if (input.createTime !== undefined) record.createTime = input.createTime;
    if (input.updateTime !== undefined) record.updateTime = input.updateTime;
    try {
      await this.store.appendRuns(experiment, [record]);
    } catch (error) {
      if (isMissing(error)) await this.store.requireExperiment(experiment);
      throw error;
    }
    const run = (await this.store.runsAfterAppend(experiment)).runs.get(input.name);
    if (!run) throw runNotFound(ref);
    if (run.uid !== id) throw exists();
    this.series.created(ref);
    return toRunRecord(experiment, run, false);
  }

  async get(ref: RunRef): Promise<RunRecord | undefined> {
    const run = await this.store.findRun(ref);
    return run ? toRunRecord(ref.experiment, run, false) : undefined;
  }

  async list(
    experiment: string,
    page?: PageRequest & { withLatestTimeSeries?: boolean },
  ): Promise<Page<RunRecord>> {
    const withLatest = page?.withLatestTimeSeries === true;
    const { state, view } = await this.store.runs(experiment);
    const problem = view.problemError(() => true);
    if (problem) throw problem;
    const entries = function* () {
      for (const run of state.runs.values()) yield { seq: run.seq, value: run };
    };
    const result = paginate(entries(), page);
    const items = result.items.map((run) => {
      const record = toRunRecord(experiment, run, withLatest);
      // This backend's own points not yet recorded count too ("read your writes").
      const pending = withLatest ? this.series.pendingLatest(experiment, run.name, run.uid) : undefined;
      for (const metric in pending) {
        const point = pending[metric]!;
        if (isLaterPoint(record.latestTimeSeries![metric], point))
          record.latestTimeSeries![metric] = { ...point };
      }
      return record;
    });
    return { ...result, items };
  }

  async update(ref: RunRef, patch: RunPatch): Promise<RunRecord> {
    const current = await this.store.requireRun(ref);
    // A state change ends (or restarts) a run: make its buffered time series durable first.
    if (patch.state !== undefined) await this.series.flushIncarnation(ref, current.uid, true);
    const record: Record<string, unknown> = { op: "update", run: ref.run, uid: current.uid, t: Date.now() };
    if (patch.params !== undefined) record.params = encodeValues(patch.params);
    if (patch.metrics !== undefined) record.metrics = encodeValues(patch.metrics);
    if (patch.state !== undefined) record.state = patch.state;
    if (patch.tags !== undefined) record.tags = patch.tags;
    if (patch.description !== undefined) record.description = patch.description;
    if (patch.updateTime !== undefined) record.updateTime = patch.updateTime;
    return toRunRecord(ref.experiment, await this.store.appendRun(ref, record), false);
  }

  /**
   * Appends the `delete` record, then removes the incarnation's directory, and only that: a re-created
   * run (another incarnation) is never touched, whatever the timing. Directories of earlier
   * incarnations that a killed deleter left behind go too.
   */
  async delete(ref: RunRef): Promise<void> {
    await this.store.openForWrite();
    const current = await this.store.requireRun(ref);
    const paths = this.store.paths;
    // The removal below goes through `runs/`: a link there (to anywhere) is refused before anything
    // changes, never followed.
    const runsDir = paths.runsDir(ref.experiment);
    isRealDir(runsDir);
    const record = { op: "delete", run: ref.run, uid: current.uid, t: Date.now() };
    try {
      await this.store.appendRuns(ref.experiment, [record]);
    } catch (error) {
      if (isMissing(error)) throw runNotFound(ref);
      throw error; // not deleted (a full disk): the run and its buffered points stay as they were
    }
    this.series.deleted(ref, current.uid);
    if (!isRealDir(runsDir)) return; // nothing was ever written for it
    await removeTree(paths.runDir(ref.experiment, ref.run, current.uid));
    for (const dead of this.store.runView(ref.experiment).state.dead.get(ref.run) ?? []) {
      await removeTree(paths.runDir(ref.experiment, ref.run, dead)).catch(() => false);
    }
  }

  async assignTensorboard(ref: RunRef, tensorboard: string): Promise<string> {
    const current = await this.store.requireRun(ref);
    const tensorboardRun = `${tensorboard}/experiments/${ref.experiment}/runs/${ref.run}`;
    await this.store.appendRun(ref, {
      op: "tensorboard",
      run: ref.run,
      uid: current.uid,
      t: Date.now(),
      tensorboardRun,
    });
    return tensorboardRun;
  }

  async attribute(ref: RunRef, links: { artifacts?: string[]; executions?: string[] }): Promise<void> {
    const current = await this.store.requireRun(ref);
    const artifacts = links.artifacts ?? [];
    const executions = links.executions ?? [];
    await this.resources.requireArtifacts(artifacts);
    await this.resources.requireExecutions(executions);
    await this.store.appendRun(ref, {
      op: "attribute",
      run: ref.run,
      uid: current.uid,
      t: Date.now(),
      artifacts,
      executions,
    });
  }

  async addChildren(ref: RunRef, children: RunChild[]): Promise<void> {
    const current = await this.store.requireRun(ref);
    const record = {
      op: "children",
      run: ref.run,
      uid: current.uid,
      t: Date.now(),
      children: encodeChildren(children),
    };
    await this.store.appendRun(ref, record);
  }

  async listChildren(ref: RunRef, schemaTitle?: string): Promise<RunChild[]> {
    const current = await this.store.requireRun(ref);
    const children =
      schemaTitle === undefined
        ? current.children
        : current.children.filter((c) => c.schemaTitle === schemaTitle);
    return copyChildren(children);
  }
}
