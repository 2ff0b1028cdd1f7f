import type { S3Client } from "@aws-sdk/client-s3";
import {
  experimentNotFound as coreExperimentNotFound,
  runNotFound as coreRunNotFound,
  type RunRecord,
  type RunRef,
} from "@exprun/core";
import { VersionClock } from "./clock.js";
import {
  type ExperimentData,
  experimentIncarnation,
  experimentView,
  joinExperiment,
  type LatestPoint,
  pruneExperiment,
  type RunClaim,
  type RunFields,
  runDelta,
  runIncarnation,
  runView,
} from "./experiment-state.js";
import { Keys } from "./keys.js";
import { type LogRead, MergedLog } from "./merged-log.js";
import { type ResolvedOptions, S3_BACKEND_NAME } from "./options.js";
import { joinResources, pruneResources, type ResourceData } from "./resource-state.js";
import { SeriesStore } from "./series.js";
import { checkExperimentData, checkResourceData, holdsExperiment, holdsResource } from "./shape.js";
import { S3Transport } from "./transport.js";

const backend = S3_BACKEND_NAME;

/** Shared machinery of one backend instance: the S3 transport, the clock, and the cached logs. */
export class S3Store {
  readonly transport: S3Transport;
  readonly clock: VersionClock;
  readonly keys: Keys;
  readonly series: SeriesStore;
  readonly resources: MergedLog<ResourceData>;
  private readonly experiments = new Map<string, MergedLog<ExperimentData>>();
  /** Experiments this backend wrote to since the last compaction on close. */
  readonly dirty = new Set<string>();
  /** The incarnation of each run name this backend last created or read: what its writes address. */
  private readonly incarnations = new Map<string, string>();
  private probe: Promise<boolean> | undefined;

  constructor(
    client: S3Client,
    readonly options: ResolvedOptions,
  ) {
    this.transport = new S3Transport(client, options);
    this.clock = new VersionClock(options.now);
    this.keys = new Keys(options.prefix);
    this.resources = new MergedLog(
      this.transport,
      options,
      this.clock,
      this.keys.resourcesMeta(),
      {
        empty: () => ({}),
        join: joinResources,
        prune: pruneResources,
        check: checkResourceData,
        holdsCreation: holdsResource,
      },
      "the store's artifacts and executions",
    );
    this.series = new SeriesStore(this.transport, options, this.clock, {
      requireLive: async (experiment, run, inc) => {
        const log = this.experimentLog(experiment);
        // A run this backend knows needs only the list barrier; otherwise read what the run needs.
        const { data } = knowsRun(log.current(), run, inc) ? await log.sync(run) : await log.read(run);
        if (runIncarnation(data, run)?.v !== inc) throw runNotFound({ experiment, run });
      },
      recordLatest: (experiment, run, inc, latest) => this.recordLatest(experiment, run, inc, latest),
      prefix: (experiment, run, inc) => this.keys.incarnationSeries(experiment, run, inc),
    });
  }

  experimentLog(name: string): MergedLog<ExperimentData> {
    let log = this.experiments.get(name);
    if (log === undefined) {
      log = new MergedLog(
        this.transport,
        this.options,
        this.clock,
        this.keys.experimentMeta(name),
        {
          empty: () => ({}),
          join: joinExperiment,
          prune: pruneExperiment,
          check: checkExperimentData,
          holdsCreation: holdsExperiment,
        },
        `experiment "${name}"`,
      );
      this.experiments.set(name, log);
    }
    return log;
  }

  /**
   * Whether creations use conditional PUTs: as configured, or probed once per backend ("auto"):
   * a conditional PUT of the probe key, and if that created it, a second one. A server that honours
   * `If-None-Match` answers 412 to one of them; one that ignores it answers 200 to both.
   */
  conditionalWrites(): Promise<boolean> {
    const configured = this.options.conditionalWrites;
    if (configured !== "auto") return Promise.resolve(configured);
    this.probe ??= (async () => {
      const key = this.keys.probe();
      const body = JSON.stringify({ probe: "If-None-Match: * on an existing key must answer 412" });
      try {
        if ((await this.transport.put(key, body, { ifAbsent: true })) === "exists") return true;
        return (await this.transport.put(key, body, { ifAbsent: true })) === "exists";
      } catch (error) {
        // A server that refuses the header outright (400/501) does not honour it either.
        const status = (error as { cause?: { $metadata?: { httpStatusCode?: number } } }).cause?.$metadata
          ?.httpStatusCode;
        if (status === 400 || status === 501) return false;
        throw error;
      }
    })();
    this.probe.catch(() => {
      this.probe = undefined;
    });
    return this.probe;
  }

  /** Reads the experiment's log: everything, or (with `run`) what that run needs (`""`: the experiment only). */
  readExperiment(name: string, run?: string): Promise<LogRead<ExperimentData>> {
    return this.experimentLog(name).read(run);
  }

  /** The experiment's joined state and live incarnation; `NotFoundError` when it does not exist. */
  async requireExperiment(name: string, run?: string): Promise<{ data: ExperimentData; inc: string }> {
    const { data } = await this.readExperiment(name, run);
    const live = experimentIncarnation(data);
    if (!live) throw experimentNotFound(name);
    return { data, inc: live.v };
  }

  /**
   * The live creation of the run a call addresses: `ref.incarnation` when given; for a write, else
   * the creation this backend last created or read under the name (a run someone else deleted and
   * created again is a new run: writes meant for the old one reject until this backend reads the
   * name again); else the current one. Reads address the current creation and remember it.
   */
  liveRun(ref: RunRef, data: ExperimentData, access: "read" | "write"): { v: string; claim: RunClaim } {
    const live = runIncarnation(data, ref.run);
    const given = (ref as { incarnation?: string }).incarnation;
    const expected = given ?? (access === "write" ? this.incarnations.get(runKey(ref)) : undefined);
    // A run this call knows is gone with its experiment (which may exist again): the run is missing.
    if (!experimentIncarnation(data) && expected === undefined) throw experimentNotFound(ref.experiment);
    if (!live || (expected !== undefined && live.v !== expected)) throw runNotFound(ref);
    if (given === undefined) this.incarnations.set(runKey(ref), live.v);
    return live;
  }

  /** The run's record as of a fresh read; `NotFoundError` when the run (of that incarnation) is missing. */
  async requireRun(
    ref: RunRef,
    access: "read" | "write" = "read",
  ): Promise<{ data: ExperimentData; run: RunRecord }> {
    this.checkRef(ref);
    const { data } = await this.requireExperiment(ref.experiment, ref.run);
    this.liveRun(ref, data, access);
    return { data, run: runView(ref.experiment, ref.run, data) as RunRecord };
  }

  /** The incarnation a write to `ref` addresses, without a read when it is known. */
  async runIncarnation(ref: RunRef): Promise<string> {
    this.checkRef(ref);
    const known = (ref as { incarnation?: string }).incarnation ?? this.incarnations.get(runKey(ref));
    if (known !== undefined) return known;
    return (await this.requireRun(ref, "write")).run.incarnation;
  }

  /**
   * Writes a delta to the run's live creation (checked by the write barrier against `ref`); `build`
   * gets the version and returns the fields. Resolves with the incarnation written to.
   */
  async writeRun(ref: RunRef, build: (version: string) => RunFields): Promise<string> {
    this.checkRef(ref);
    let inc = "";
    const expected = () =>
      (ref as { incarnation?: string }).incarnation ?? this.incarnations.get(runKey(ref));
    await this.appendExperiment(ref.experiment, (v) => runDelta(ref.run, inc, build(v)), {
      tag: ref.run,
      barrier: (data) => {
        const known = expected();
        return known !== undefined && knowsRun(data, ref.run, known) ? "list" : "read";
      },
      check: (data) => {
        inc = this.liveRun(ref, data, "write").v;
      },
    });
    return inc;
  }

  appendExperiment(
    name: string,
    build: (version: string, data: ExperimentData) => ExperimentData,
    options: Parameters<MergedLog<ExperimentData>["append"]>[1] = {},
  ): Promise<string> {
    this.dirty.add(name);
    return this.experimentLog(name).append(build, options);
  }

  /** Refuses names that could address keys outside the run's folder (defence in depth: core checks names first). */
  checkRef(ref: RunRef): void {
    this.keys.runSeries(ref.experiment, ref.run);
  }

  rememberRun(ref: RunRef, inc: string): void {
    this.incarnations.set(runKey(ref), inc);
  }

  forgetRun(ref: RunRef): void {
    this.incarnations.delete(runKey(ref));
  }

  forgetExperiment(name: string): void {
    for (const key of this.incarnations.keys()) if (key.startsWith(`${name}/`)) this.incarnations.delete(key);
  }

  private async recordLatest(
    experiment: string,
    run: string,
    inc: string,
    latest: Record<string, LatestPoint>,
  ): Promise<void> {
    await this.appendExperiment(experiment, () => runDelta(run, inc, { latest }), {
      tag: run,
      barrier: false,
    });
  }

  /** Folds the logs this backend wrote to into snapshots; failures are warnings (nothing is lost). */
  async compactDirty(): Promise<void> {
    const names = [...this.dirty];
    this.dirty.clear();
    for (const name of names) {
      try {
        const log = this.experimentLog(name);
        await log.compact(await log.read());
      } catch (error) {
        this.options.onWarning(
          `[exprun] [s3] Compacting experiment "${name}" failed; later reads try again: ${error instanceof Error ? error.message : String(error)}`,
          error,
        );
      }
    }
  }

  experimentRecord(name: string) {
    return experimentView(name, this.experimentLog(name).current());
  }
}

/** Whether the state holds the claim of run creation `inc` (and its experiment's), so a list barrier suffices. */
function knowsRun(data: ExperimentData, run: string, inc: string): boolean {
  const claim = data.runs?.[run]?.claims?.[inc];
  return claim !== undefined && data.claims?.[claim.e] !== undefined;
}

function runKey(ref: RunRef): string {
  return `${ref.experiment}/${ref.run}`;
}

export function experimentNotFound(name: string) {
  return coreExperimentNotFound(name, { backend });
}

export function runNotFound(ref: RunRef) {
  return coreRunNotFound(ref, { backend });
}
