import type { S3Client } from "@aws-sdk/client-s3";
import { AlreadyExistsError, NotFoundError, type RunRecord, type RunRef } from "@exprun/core";
import { VersionClock } from "./clock.js";
import { dict } from "./dict.js";
import {
  type ExperimentData,
  experimentView,
  joinExperiment,
  type LatestPoint,
  pruneExperiment,
  type RunData,
  runView,
} from "./experiment-state.js";
import { Keys } from "./keys.js";
import { type LogRead, MergedLog } from "./merged-log.js";
import { type ResolvedOptions, S3_BACKEND_NAME } from "./options.js";
import { joinResources, pruneResources, type ResourceData } from "./resource-state.js";
import { SeriesStore } from "./series.js";
import { S3Transport } from "./transport.js";

const backend = S3_BACKEND_NAME;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Shared machinery of one backend instance: the S3 transport, the clock, and the cached logs. */
export class S3Store {
  readonly transport: S3Transport;
  readonly clock = new VersionClock();
  readonly keys: Keys;
  readonly series: SeriesStore;
  readonly resources: MergedLog<ResourceData>;
  private readonly experiments = new Map<string, MergedLog<ExperimentData>>();
  /** Experiments this backend wrote to since the last compaction on close. */
  readonly dirty = new Set<string>();
  /** Creation version of runs this backend has seen, so appends need no read. */
  private readonly incarnations = new Map<string, string>();

  constructor(
    client: S3Client,
    readonly options: ResolvedOptions,
  ) {
    this.transport = new S3Transport(client, options);
    this.keys = new Keys(options.prefix);
    this.resources = new MergedLog(this.transport, options, this.clock, this.keys.resourcesMeta(), {
      empty: () => ({}),
      join: joinResources,
      prune: pruneResources,
    });
    this.series = new SeriesStore(
      this.transport,
      options,
      this.clock,
      (experiment, run) => this.keys.runSeries(experiment, run),
      (experiment, run, latest) => this.recordLatest(experiment, run, latest),
    );
  }

  experimentLog(name: string): MergedLog<ExperimentData> {
    let log = this.experiments.get(name);
    if (log === undefined) {
      log = new MergedLog(this.transport, this.options, this.clock, this.keys.experimentMeta(name), {
        empty: () => ({}),
        join: joinExperiment,
        prune: pruneExperiment,
      });
      this.experiments.set(name, log);
    }
    return log;
  }

  /** Appends a delta to an experiment's log. */
  async appendExperiment(
    name: string,
    build: (version: string) => ExperimentData,
    run?: string,
  ): Promise<string> {
    this.dirty.add(name);
    return this.experimentLog(name).append(build, run);
  }

  /** Appends a delta touching one run; `build` gets the version and returns the run's part. */
  appendRun(ref: RunRef, build: (version: string) => RunData): Promise<string> {
    return this.appendExperiment(
      ref.experiment,
      (v) => {
        const runs = dict<RunData>();
        runs[ref.run] = { ...build(v), touched: v };
        return { runs };
      },
      ref.run,
    );
  }

  /** Reads the experiment's log: everything, or (with `run`) what that run needs (`""`: the experiment only). */
  async readExperiment(name: string, run?: string): Promise<LogRead<ExperimentData>> {
    return this.experimentLog(name).read(run);
  }

  /** The experiment's joined state; `NotFoundError` when it does not exist. */
  async requireExperiment(name: string, run?: string): Promise<ExperimentData> {
    const { data } = await this.readExperiment(name, run);
    if (!experimentView(name, data)) throw missingExperiment(name);
    return data;
  }

  /** The run's record (with its creation version); `NotFoundError` when the run or experiment is missing. */
  async requireRun(ref: RunRef): Promise<{ data: ExperimentData; run: RunRecord & { inc: string } }> {
    this.checkRef(ref);
    const data = await this.requireExperiment(ref.experiment, ref.run);
    const run = runView(ref.experiment, ref.run, data);
    if (!run) {
      this.incarnations.delete(incarnationKey(ref));
      throw new NotFoundError(
        `Run "${ref.run}" not found in experiment "${ref.experiment}". Create it first, or check the name.`,
        { backend },
      );
    }
    this.incarnations.set(incarnationKey(ref), run.inc);
    return { data, run };
  }

  /** The run's creation version, from cache when this backend has seen the run before. */
  async runIncarnation(ref: RunRef): Promise<string> {
    this.checkRef(ref);
    const cached = this.incarnations.get(incarnationKey(ref));
    if (cached !== undefined) return cached;
    return (await this.requireRun(ref)).run.inc;
  }

  /** Refuses names that could address keys outside the run's folder (defence in depth: core checks names first). */
  checkRef(ref: RunRef): void {
    this.keys.runSeries(ref.experiment, ref.run);
  }

  forgetRun(ref: RunRef): void {
    this.incarnations.delete(incarnationKey(ref));
  }

  forgetExperiment(name: string): void {
    for (const key of this.incarnations.keys()) if (key.startsWith(`${name}/`)) this.incarnations.delete(key);
  }

  rememberRun(ref: RunRef, inc: string): void {
    this.incarnations.set(incarnationKey(ref), inc);
  }

  private async recordLatest(
    experiment: string,
    run: string,
    latest: Record<string, LatestPoint>,
  ): Promise<void> {
    await this.appendRun({ experiment, run }, () => ({ latest }));
  }

  /**
   * Creation without conditional writes: check that the name is free, write a claim (a delta with
   * a unique version), wait `claimSettleMs`, read the claims back. The smallest claim version wins;
   * every other creator gets `AlreadyExistsError`. Losing claims stay in the log and are ignored.
   */
  async claim<D>(
    log: MergedLog<D>,
    what: string,
    taken: (data: D) => boolean,
    build: (version: string) => D,
    winner: (data: D) => string | undefined,
    scope?: { read: string; tag?: string },
  ): Promise<D> {
    const before = await log.read(scope?.read);
    if (taken(before.data)) throw alreadyExists(what);
    const version = await log.append(build, scope?.tag);
    if (this.options.claimSettleMs > 0) await sleep(this.options.claimSettleMs);
    const after = await log.read(scope?.read);
    if (winner(after.data) !== version) throw alreadyExists(what);
    return after.data;
  }

  /** Folds the logs this backend wrote to into snapshots. */
  async compactDirty(): Promise<void> {
    const names = [...this.dirty];
    this.dirty.clear();
    for (const name of names) {
      const log = this.experimentLog(name);
      const read = await log.read();
      if (read.deltas.length > 0 || read.snapshots.length > 1) await log.compact(read);
    }
  }

  /** Deletes every object under `prefix` except `keep`. */
  async deleteTree(prefix: string, keep?: string): Promise<void> {
    const { keys } = await this.transport.list(prefix);
    await this.transport.deleteMany(keys.filter((key) => key !== keep));
  }
}

function incarnationKey(ref: RunRef): string {
  return `${ref.experiment}/${ref.run}`;
}

export function missingExperiment(name: string): NotFoundError {
  return new NotFoundError(`Experiment "${name}" not found. Create it first, or check the name.`, {
    backend,
  });
}

function alreadyExists(what: string): AlreadyExistsError {
  return new AlreadyExistsError(`${what} already exists. Choose another name, or get the existing one.`, {
    backend,
  });
}
