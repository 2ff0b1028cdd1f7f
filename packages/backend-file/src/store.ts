import { readdir } from "node:fs/promises";
import path from "node:path";
import type { ArtifactRecord, ExecutionRecord, ExperimentRecord, RunRef } from "@exprun/core";
import { NotFoundError } from "@exprun/core";
import { appendData, BACKEND, isMissing, readIfExistsSync, removeTree } from "./fsio.js";
import { expectNumber, expectString, type LogRecord, parseLines, toLines } from "./jsonl.js";
import { LogView } from "./log-view.js";
import { StorePaths } from "./paths.js";
import { artifactsReducer, executionsReducer, type ResourcesState } from "./resources-log.js";
import { type RunEntry, type RunsState, runsReducer } from "./runs-log.js";
import { openStore } from "./store-format.js";

/** An experiment as folded from its `experiment.jsonl`, with the id of its incarnation. */
export interface ExperimentEntry {
  uid: string;
  record: ExperimentRecord;
}

/** Folds `experiment.jsonl` (a `create` record, then `update` records). */
function foldExperiment(name: string, file: string, bytes: Buffer): ExperimentEntry | undefined {
  let entry: ExperimentEntry | undefined;
  const end = bytes.lastIndexOf(10) + 1;
  parseLines(bytes.toString("utf8", 0, end), file, 0, (r: LogRecord) => {
    const op = expectString(r, "op");
    const t = expectNumber(r, "t");
    if (op === "create") {
      if (entry) throw new Error(`a second "create" record`);
      entry = {
        uid: expectString(r, "uid"),
        record: { name, description: "", createTime: t, updateTime: t },
      };
    } else if (op !== "update" || !entry) {
      throw new Error(entry ? `unknown operation "${op}"` : `the first record must be "create"`);
    }
    if (typeof r.description === "string") entry.record.description = r.description;
    if (typeof r.backingTensorboard === "string") entry.record.backingTensorboard = r.backingTensorboard;
    entry.record.updateTime = t;
  });
  return entry;
}

/**
 * The state one backend instance shares between its methods: paths, the incremental views of the
 * logs, and record appends. Many instances (in one process or many) may use one directory.
 */
export class FileStore {
  readonly paths: StorePaths;
  private opened: Promise<void> | undefined;
  private readonly runViews = new Map<string, LogView<RunsState>>();
  readonly artifacts: LogView<ResourcesState<ArtifactRecord>>;
  readonly executions: LogView<ResourcesState<ExecutionRecord>>;

  constructor(
    root: string,
    readonly sync: boolean,
  ) {
    this.paths = new StorePaths(root);
    this.artifacts = new LogView(
      this.paths.artifactsLog(),
      `${this.paths.artifactsLog()}.snapshot.json`,
      artifactsReducer,
      sync,
    );
    this.executions = new LogView(
      this.paths.executionsLog(),
      `${this.paths.executionsLog()}.snapshot.json`,
      executionsReducer,
      sync,
    );
  }

  /** Checks (or creates) the format marker once per instance. */
  open(): Promise<void> {
    this.opened ??= openStore(this.paths.root, this.sync)
      .then(() => this.emptyTrash())
      .catch((error: unknown) => {
        this.opened = undefined;
        throw error;
      });
    return this.opened;
  }

  /** Finishes deletions a crashed process left in `.trash/` (removing twice is harmless). */
  private async emptyTrash(): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.paths.trash);
    } catch {
      return;
    }
    await Promise.all(entries.map((e) => removeTree(path.join(this.paths.trash, e)).catch(() => {})));
  }

  /**
   * Appends records to a log as one write (fsynced when the store syncs). Creating the file is safe:
   * a deleted experiment's directory is gone, so ENOENT propagates instead.
   */
  async append(file: string, records: readonly unknown[]): Promise<void> {
    await appendData(file, toLines(records), this.sync);
  }

  async readExperiment(name: string): Promise<ExperimentEntry | undefined> {
    const file = this.paths.experimentLog(name);
    await this.open();
    const bytes = readIfExistsSync(file);
    return bytes ? foldExperiment(name, file, bytes) : undefined;
  }

  async requireExperiment(name: string): Promise<ExperimentEntry> {
    const entry = await this.readExperiment(name);
    if (!entry) {
      throw new NotFoundError(`Experiment "${name}" not found. Create it first (Experiment.create).`, {
        backend: BACKEND,
      });
    }
    return entry;
  }

  runView(experiment: string): LogView<RunsState> {
    let view = this.runViews.get(experiment);
    if (!view) {
      view = new LogView(
        this.paths.runsLog(experiment),
        this.paths.runsSnapshot(experiment),
        runsReducer,
        this.sync,
      );
      this.runViews.set(experiment, view);
    }
    return view;
  }

  /** The experiment's runs, up to date; `NotFoundError` when the experiment is missing. */
  async runs(experiment: string): Promise<{ experiment: ExperimentEntry; state: RunsState }> {
    const entry = await this.requireExperiment(experiment);
    const state = await this.runView(experiment).refresh(entry.uid);
    return { experiment: entry, state };
  }

  async findRun(ref: RunRef): Promise<RunEntry | undefined> {
    this.paths.runDir(ref.experiment, ref.run); // refuses unsafe names even where no path is built
    const entry = await this.readExperiment(ref.experiment);
    if (!entry) return undefined;
    const state = await this.runView(ref.experiment).refresh(entry.uid);
    return state.runs.get(ref.run);
  }

  async requireRun(ref: RunRef): Promise<RunEntry> {
    this.paths.runDir(ref.experiment, ref.run);
    const { state } = await this.runs(ref.experiment);
    const run = state.runs.get(ref.run);
    if (!run) throw runNotFound(ref);
    return run;
  }

  /**
   * Appends a run record for the incarnation `uid`, then re-reads the log: resolves the run as it is
   * after the record, or rejects with `NotFoundError` when the run was deleted meanwhile.
   */
  async appendRun(ref: RunRef, record: Record<string, unknown>): Promise<RunEntry> {
    try {
      await this.append(this.paths.runsLog(ref.experiment), [record]);
    } catch (error) {
      if (isMissing(error)) throw runNotFound(ref);
      throw error;
    }
    const run = (await this.runs(ref.experiment)).state.runs.get(ref.run);
    if (!run || run.uid !== record.uid) throw runNotFound(ref);
    return run;
  }

  forgetExperiment(experiment: string): void {
    this.runViews.delete(experiment);
  }
}

export function runNotFound(ref: RunRef): NotFoundError {
  return new NotFoundError(
    `Run "${ref.run}" not found in experiment "${ref.experiment}". Create it first (ExperimentRun.create).`,
    { backend: BACKEND },
  );
}
