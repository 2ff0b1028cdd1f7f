import path from "node:path";
import type { ArtifactRecord, ExecutionRecord, ExperimentRecord, RunRef } from "@exprun/core";
import {
  BackendError,
  experimentNotFound as coreExperimentNotFound,
  runNotFound as coreRunNotFound,
  NotFoundError,
} from "@exprun/core";
import { isUnwritable, linkRefused } from "./fs-errors.js";
import {
  appendData,
  appendDataSync,
  BACKEND,
  ensureRealDir,
  entryKind,
  isMissing,
  isRealDir,
  makeRealDir,
  readIfExistsSync,
  syncDir,
} from "./fsio.js";
import { emptyTrash, removeStrayTemps } from "./housekeeping.js";
import { expectNumber, expectString, type LogRecord, parseLines, toLines } from "./jsonl.js";
import { LogView } from "./log-view.js";
import { StorePaths } from "./paths.js";
import { artifactsReducer, executionsReducer, type ResourcesState } from "./resources-log.js";
import { type RunEntry, type RunsState, runsReducer } from "./runs-log.js";
import { openStore, readFormatVersion } from "./store-format.js";

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

function truncatedExperiment(file: string, dir: string, size: number | undefined): BackendError {
  const what =
    size === undefined
      ? `is missing while the experiment's runs.jsonl is there`
      : `is empty or truncated (${size} bytes, no complete "create" record)`;
  return new BackendError(
    `${file} ${what}. exprun writes this ` +
      `file whole when it creates the experiment, so something else changed it. Restore it from a backup; ` +
      `to give the experiment up, delete ${dir}.`,
    { backend: BACKEND },
  );
}

export function runNotFound(ref: RunRef): NotFoundError {
  return coreRunNotFound(ref, { backend: BACKEND });
}

export function experimentNotFound(name: string): NotFoundError {
  return coreExperimentNotFound(name, { backend: BACKEND });
}

/** The incarnation a caller addresses, when it names one (core's runs always do). */
export function incarnationOf(ref: RunRef): string | undefined {
  return (ref as { incarnation?: string }).incarnation;
}

/**
 * The state one backend instance shares between its methods: paths, the incremental views of the
 * logs, and record appends. Many instances (in one process or many) may use one directory.
 */
export class FileStore {
  readonly paths: StorePaths;
  private opened: Promise<void> | undefined;
  /** Why this process cannot write the store (a read-only filesystem, no permission), if it cannot. */
  private writeError: unknown;
  private readonly runViews = new Map<string, LogView<RunsState>>();
  readonly artifacts: LogView<ResourcesState<ArtifactRecord>>;
  readonly executions: LogView<ResourcesState<ExecutionRecord>>;

  constructor(
    root: string,
    readonly sync: boolean,
  ) {
    this.paths = new StorePaths(root);
    const artifacts = this.paths.artifactsLog();
    const executions = this.paths.executionsLog();
    this.artifacts = new LogView(artifacts, `${artifacts}.snapshot.json`, artifactsReducer, sync);
    this.executions = new LogView(executions, `${executions}.snapshot.json`, executionsReducer, sync);
  }

  /**
   * Checks (or creates, or upgrades) the store once per instance, and tidies what crashed processes
   * left. A store this process cannot write still opens for reading: as it is, as an empty store when
   * it does not exist yet, or in layout 1 when it needs an upgrade it cannot write.
   */
  open(): Promise<void> {
    this.opened ??= this.openNow().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  private async openNow(): Promise<void> {
    const { root } = this.paths;
    try {
      await openStore(root, this.sync);
    } catch (error) {
      if (!isUnwritable(error)) throw error;
      const version = readFormatVersion(root);
      if (version === 1) this.paths.legacy = true;
      this.writeError = error;
    }
    await emptyTrash(this.paths.trash);
    removeStrayTemps(root);
    removeStrayTemps(this.paths.resources);
  }

  /** `open()` for a write: rejects with the reason this process cannot write the store. */
  async openForWrite(): Promise<void> {
    await this.open();
    if (this.writeError !== undefined) throw this.writeError;
  }

  /** The experiment directory, checked: `false` when it (or `experiments/`) does not exist; a link throws. */
  private experimentDirExists(name: string): boolean {
    const dir = this.paths.experimentDir(name);
    if (!isRealDir(this.paths.experiments)) return false;
    const kind = entryKind(dir);
    if (kind === "link") throw linkRefused(dir);
    return kind === "directory";
  }

  /**
   * The experiment, or `undefined` when there is none. A link in its place, or an `experiment.jsonl`
   * that is empty, cut, or gone while its runs are still there, is an error naming the file.
   */
  async readExperiment(name: string): Promise<ExperimentEntry | undefined> {
    this.paths.experimentDir(name);
    await this.open();
    return this.readExperimentSync(name);
  }

  private readExperimentSync(name: string): ExperimentEntry | undefined {
    const file = this.paths.experimentLog(name);
    if (!this.experimentDirExists(name)) return undefined;
    let bytes = readIfExistsSync(file);
    const dir = path.dirname(file);
    if (!bytes) {
      // A directory without experiment.jsonl is an experiment being created (mkdir, then link(2)), or
      // one being deleted; one with runs in it lost its experiment.jsonl. experiment.jsonl is linked
      // before any run is written, so a runs.jsonl seen after a missing experiment.jsonl may be a
      // racing creator's: read again before calling it lost.
      const hasRuns = () => entryKind(this.paths.runsLog(name)) !== "missing";
      if (!hasRuns()) return undefined;
      bytes = readIfExistsSync(file);
      if (!bytes) {
        if (!hasRuns()) return undefined;
        throw truncatedExperiment(file, dir, undefined);
      }
    }
    const entry = foldExperiment(name, file, bytes);
    if (!entry) throw truncatedExperiment(file, dir, bytes.length);
    return entry;
  }

  async requireExperiment(name: string): Promise<ExperimentEntry> {
    const entry = await this.readExperiment(name);
    if (!entry) throw experimentNotFound(name);
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

  /**
   * The experiment's runs, up to date; `NotFoundError` when the experiment is missing. A bad line that
   * names no run makes every read of the experiment's runs fail (it may have been any run's).
   */
  async runs(
    experiment: string,
  ): Promise<{ experiment: ExperimentEntry; state: RunsState; view: LogView<RunsState> }> {
    const entry = await this.requireExperiment(experiment);
    const view = this.runView(experiment);
    const state = await view.refresh(entry.uid);
    const problem = view.problemError((p) => p.key === undefined);
    if (problem) throw problem;
    return { experiment: entry, state, view };
  }

  /**
   * The run's current incarnation, or `undefined` when there is none (or when `ref` names another
   * incarnation). A bad line naming this run is an error: its state cannot be trusted.
   */
  async findRun(ref: RunRef): Promise<RunEntry | undefined> {
    this.paths.checkRun(ref.experiment, ref.run);
    const entry = await this.readExperiment(ref.experiment);
    if (!entry) return undefined;
    const view = this.runView(ref.experiment);
    return this.pick(ref, view, await view.refresh(entry.uid));
  }

  /** `findRun` without waiting (the exit hook); the store is already open when anything is buffered. */
  findRunSync(ref: RunRef): RunEntry | undefined {
    const entry = this.readExperimentSync(ref.experiment);
    if (!entry) return undefined;
    const view = this.runView(ref.experiment);
    return this.pick(ref, view, view.refreshSync(entry.uid));
  }

  private pick(ref: RunRef, view: LogView<RunsState>, state: RunsState): RunEntry | undefined {
    const problem = view.problemError((p) => p.key === undefined || p.key === ref.run);
    if (problem) throw problem;
    const run = state.runs.get(ref.run);
    const incarnation = incarnationOf(ref);
    return run && (incarnation === undefined || run.uid === incarnation) ? run : undefined;
  }

  async requireRun(ref: RunRef): Promise<RunEntry> {
    this.paths.checkRun(ref.experiment, ref.run);
    const { view, state } = await this.runs(ref.experiment);
    const run = this.pick(ref, view, state);
    if (!run) throw runNotFound(ref);
    return run;
  }

  /**
   * The experiment's runs right after this backend appended to its log: read under the experiment
   * incarnation read before the append (a log of a re-created experiment is another file, and reads
   * as such), without reading `experiment.jsonl` again.
   */
  async runsAfterAppend(experiment: string): Promise<RunsState> {
    const view = this.runView(experiment);
    const key = view.key ?? (await this.requireExperiment(experiment)).uid;
    return view.refresh(key);
  }

  /** Appends records to the experiment's `runs.jsonl` (never through a link); `sync` defaults to the store's. */
  async appendRuns(experiment: string, records: readonly unknown[], sync = this.sync): Promise<void> {
    if (!this.experimentDirExists(experiment)) throw experimentNotFound(experiment);
    await appendData(this.paths.runsLog(experiment), toLines(records), sync && this.sync);
  }

  /**
   * Appends a run record for the incarnation `uid`, then re-reads the log: resolves the run as it is
   * after the record, or rejects with `NotFoundError` when the run was deleted meanwhile.
   */
  async appendRun(ref: RunRef, record: Record<string, unknown>): Promise<RunEntry> {
    await this.openForWrite();
    try {
      await this.appendRuns(ref.experiment, [record]);
    } catch (error) {
      if (isMissing(error) || error instanceof NotFoundError) throw runNotFound(ref);
      throw error;
    }
    const run = (await this.runsAfterAppend(ref.experiment)).runs.get(ref.run);
    if (!run || run.uid !== record.uid) throw runNotFound(ref);
    return run;
  }

  /** Appends to a resources log (`resources/` is created as a real directory when missing). */
  async appendResources(file: string, records: readonly unknown[]): Promise<void> {
    await this.openForWrite();
    await ensureRealDir(this.paths.resources, this.sync);
    await appendData(file, toLines(records), this.sync);
  }

  /** A resources view, up to date (`resources/` must not be a link). */
  async resources<T>(view: LogView<ResourcesState<T>>): Promise<ResourcesState<T>> {
    await this.open();
    isRealDir(this.paths.resources);
    return view.refresh();
  }

  /**
   * Where an incarnation's time series are appended: its data directory is created when missing; the
   * experiment's must exist (a `NotFoundError` otherwise: it was deleted). Never through a link.
   */
  async seriesFileForWrite(ref: RunRef, incarnation: string): Promise<string> {
    const file = this.seriesFileForWriteSync(ref, incarnation);
    if (this.sync) await this.syncNewDirs();
    return file;
  }

  private createdDirs: string[] = [];

  private async syncNewDirs(): Promise<void> {
    for (const dir of this.createdDirs.splice(0)) await syncDir(path.dirname(dir));
  }

  /** `seriesFileForWrite` without waiting for directory syncs (the exit hook). */
  seriesFileForWriteSync(ref: RunRef, incarnation: string): string {
    if (!this.experimentDirExists(ref.experiment)) throw runNotFound(ref);
    for (const dir of [
      this.paths.runsDir(ref.experiment),
      this.paths.runDir(ref.experiment, ref.run, incarnation),
    ]) {
      if (makeRealDir(dir)) this.createdDirs.push(dir);
    }
    return this.paths.seriesFile(ref.experiment, ref.run, incarnation);
  }

  /** Where an incarnation's time series are read from; `undefined` when nothing was written yet. */
  seriesFileForRead(ref: RunRef, incarnation: string): string | undefined {
    if (!isRealDir(this.paths.runsDir(ref.experiment))) return undefined;
    if (!isRealDir(this.paths.runDir(ref.experiment, ref.run, incarnation))) return undefined;
    return this.paths.seriesFile(ref.experiment, ref.run, incarnation);
  }

  /** `appendRuns` for the exit hook: synchronous, no fsync. */
  appendRunsSync(experiment: string, records: readonly unknown[]): void {
    if (!this.experimentDirExists(experiment)) return;
    appendDataSync(this.paths.runsLog(experiment), toLines(records));
  }

  forgetExperiment(experiment: string): void {
    this.runViews.delete(experiment);
  }
}
