import type { CheckedBackend } from "./checked-backend.js";
import { type TrustedBackend, trustedOf } from "./checked-backend.js";
import {
  type ClassificationMetrics,
  type ClassificationMetricsInput,
  checkClassificationMetrics,
  decodeClassificationMetrics,
  encodeClassificationMetrics,
} from "./classification-metrics.js";
import { type CommonOptions, resolveLocation } from "./config.js";
import type { TimeSeriesDataFrameRow } from "./dataframe.js";
import type { DownsampledTimeSeries, TimeSeriesQuery } from "./downsample.js";
import { AlreadyExistsError, InvalidTypeError, ValidationError } from "./errors.js";
import { Experiment } from "./experiment.js";
import { getLoggableSchema } from "./loggable-schemas.js";
import { runResourceId, validateName } from "./names.js";
import { runNotFound } from "./not-found.js";
import { collectPages } from "./paging.js";
import { Artifact, Execution, idOf, idsOf, type PipelineJob } from "./resources.js";
import {
  experimentNameOf,
  isAlreadyExists,
  refOf,
  runExists,
  target,
  tensorboardName,
} from "./run-addressing.js";
import { activeRuns } from "./run-lifecycle.js";
import { generateRunName } from "./run-names.js";
import { downsampleRun, runDataFrame, streamRunSeries } from "./run-series.js";
import { describeCredentials, protectCredentials } from "./secrets.js";
import { StepCounter } from "./step-counter.js";
import type { RunPatch, RunRecord, RunRef, RunState, SeriesChunk, SeriesQuery, Value } from "./types.js";
import { SCHEMA } from "./types.js";
import {
  copySeriesValues,
  isPlainObject,
  optionsObject,
  parseRunState,
  toWallTime,
  typeName,
  validateStep,
} from "./validation.js";

export type { ClassificationMetrics } from "./classification-metrics.js";

export interface RunOptions extends CommonOptions {
  /** The experiment (name or object); default: `init`'s. */
  experiment?: string | Experiment;
}

export interface CreateRunOptions extends RunOptions {
  /** TensorBoard resource name for the run's time series; default: the experiment's backing TensorBoard. */
  tensorboard?: string | { resourceName: string };
  /** @default "RUNNING" */
  state?: RunState;
}

/** Params accepted by `logParams`: any object type (an `interface` too) whose values are params values. */
export type ParamsInput<T> = { [K in keyof T]: Value };

/** How many generated names core tries before giving up (each is taken only by a rare collision). */
const GENERATED_NAME_ATTEMPTS = 8;
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** A run of an experiment: params, summary metrics, time series, classification metrics, tags and links. */
export class ExperimentRun implements AsyncDisposable {
  readonly backend: CheckedBackend;
  readonly experiment: string;
  readonly name: string;
  readonly project: string;
  readonly location: string;
  #credentials: unknown;
  #record: RunRecord;
  readonly #steps: StepCounter;
  readonly #ref: RunRef;
  /** The gateway's entry for appends core checked itself (absent on a backend from an older core). */
  readonly #trusted: TrustedBackend | undefined;

  /** @internal Use {@link ExperimentRun.create} or {@link ExperimentRun.get}. */
  constructor(backend: CheckedBackend, record: RunRecord, options: CommonOptions = {}) {
    this.backend = backend;
    this.#trusted = trustedOf(backend);
    this.#record = record;
    this.experiment = record.experiment;
    this.name = record.name;
    this.#ref = Object.freeze(
      record.incarnation
        ? { experiment: record.experiment, run: record.name, incarnation: record.incarnation }
        : { experiment: record.experiment, run: record.name },
    );
    const where = resolveLocation(options, backend);
    this.project = where.project;
    this.location = where.location;
    this.#credentials = where.credentials;
    this.#steps = new StepCounter(async () => {
      let largest = 0;
      for (const point of Object.values(await this.backend.latestTimeSeries(this.#ref))) {
        if (point.step > largest) largest = point.step;
      }
      return largest;
    });
  }

  /**
   * Creates a run (state RUNNING unless given). The experiment is created on first use. Without a
   * name (`ExperimentRun.create(undefined, { experiment })`) a readable unique one is generated.
   */
  static async create(runName: string | undefined, options: CreateRunOptions = {}): Promise<ExperimentRun> {
    const opts = optionsObject(options, "ExperimentRun.create options") as CreateRunOptions;
    if (runName !== undefined) validateName("run", runName);
    const experimentName = experimentNameOf(opts.experiment);
    if (runName !== undefined) runResourceId(experimentName, runName);
    const state = parseRunState(opts.state ?? "RUNNING");
    const tensorboard = opts.tensorboard === undefined ? undefined : tensorboardName(opts.tensorboard);
    const experiment = await Experiment.resolve(opts.experiment ?? experimentName, opts);
    const backend = experiment.backend;
    let record: RunRecord | undefined;
    for (let attempt = 1; !record; attempt++) {
      const name = runName ?? generateRunName();
      try {
        record = await backend.createRun(experiment.name, { name, state });
      } catch (error) {
        if (!(error instanceof AlreadyExistsError) && !isAlreadyExists(error)) throw error;
        if (runName === undefined && attempt < GENERATED_NAME_ATTEMPTS) continue;
        throw runExists(name, experiment.name, backend.name, error);
      }
    }
    const backing = tensorboard ?? experiment.backingTensorboard;
    if (backing) {
      const tensorboardRun = await backend.assignRunTensorboard(refOf(record), backing);
      record = { ...record, tensorboardRun };
    }
    const run = new ExperimentRun(backend, record, opts);
    // A run this call created has no points yet: the first implicit step is 1 without asking the store.
    run.#steps.nothingStored();
    if (state === "RUNNING") activeRuns.add(run);
    return run;
  }

  /** The existing run (Python's `ExperimentRun(run_name, experiment)`); `NotFoundError` if absent. */
  static async get(runName: string, options: RunOptions = {}): Promise<ExperimentRun> {
    validateName("run", runName);
    const opts = optionsObject(options, "ExperimentRun.get options") as RunOptions;
    const { experiment, backend } = await target(opts);
    const record = await backend.getRun({ experiment, run: runName });
    if (!record) throw runNotFound({ experiment, run: runName }, { backend: backend.name });
    return new ExperimentRun(backend, record, opts);
  }

  /**
   * Every run of the experiment, with params, metrics and state loaded. Pipeline runs a store lists
   * as rows of the experiment (`system.PipelineRun`, shown by `Experiment.getDataFrame()`) are not
   * ExperimentRuns, as in Python's `ExperimentRun.list`.
   */
  static async list(options: RunOptions = {}): Promise<ExperimentRun[]> {
    const opts = optionsObject(options, "ExperimentRun.list options") as RunOptions;
    const { experiment, backend } = await target(opts);
    // listRuns rejects a missing experiment with NotFoundError itself (the Backend contract).
    const records = await collectPages((page) => backend.listRuns(experiment, page));
    return records
      .filter((r) => r.runType !== SCHEMA.pipelineRun)
      .map((r) => new ExperimentRun(backend, r, opts));
  }

  get ref(): RunRef {
    return { ...this.#ref };
  }
  /** `{experiment}-{run}`, the id of the run's Vertex context. */
  get resourceId(): string {
    return `${this.experiment}-${this.name}`;
  }
  get resourceName(): string {
    return `projects/${this.project}/locations/${this.location}/metadataStores/default/contexts/${this.resourceId}`;
  }
  /** The credentials in use; printing them (`console.log`, JSON) shows only their kind, never key material. */
  get credentials(): unknown {
    return protectCredentials(this.#credentials);
  }
  /** The state as of this object's last read or write; `getState()` reads the store. */
  get state(): RunState {
    return this.#record.state;
  }
  /** `system.ExperimentRun`, or `system.Run` for runs logged by older Python SDKs. */
  get runType(): string {
    return this.#record.runType;
  }
  /** The run's note as of this object's last read or write (`""` when none). */
  get description(): string {
    return this.#record.description;
  }
  /** When the run was created (as of this object's last read). */
  get createTime(): Date {
    return new Date(this.#record.createTime);
  }
  /** When the run's record last changed (as of this object's last read or write). */
  get updateTime(): Date {
    return new Date(this.#record.updateTime);
  }
  /** The run's TensorBoard run resource name, if one is assigned. */
  get tensorboardRun(): string | undefined {
    return this.#record.tensorboardRun;
  }

  async getState(): Promise<RunState> {
    return (await this.#refresh()).state;
  }

  async getParams(): Promise<Record<string, Value>> {
    return { ...(await this.#refresh()).params };
  }

  async getMetrics(): Promise<Record<string, Value>> {
    return { ...(await this.#refresh()).metrics };
  }

  /**
   * Merges params: the same key is overwritten, other keys stay. Every key is checked before anything
   * is written. Accepts any object type (an `interface` too) whose values are numbers, strings or booleans.
   */
  async logParams<T extends ParamsInput<T>>(params: T): Promise<void> {
    // `{ params: undefined }` is an empty patch to the gateway: say so instead of logging nothing.
    if (params === undefined)
      throw new InvalidTypeError("params must be a plain object of key → value; got undefined.");
    await this.#update({ params: params as Record<string, Value> });
  }

  /** Merges summary metrics, like {@link logParams}. */
  async logMetrics<T extends ParamsInput<T>>(metrics: T): Promise<void> {
    if (metrics === undefined)
      throw new InvalidTypeError("metrics must be a plain object of key → value; got undefined.");
    await this.#update({ metrics: metrics as Record<string, Value> });
  }

  /**
   * Logs several metrics at one step. An explicit step (0 included) is used as given; without one the
   * step is the largest step logged to the run so far + 1 (1 on a new run). Wall time defaults to now (UTC, ms).
   */
  logTimeSeriesMetrics(
    metrics: Record<string, number>,
    options: { step?: number; wallTime?: Date | number } = {},
  ): Promise<void> {
    // Called once per training step, often 10^5-10^6 times: the common case (the step is given, or
    // already known) checks its input once here and goes to the store through the gateway's trusted
    // entry, without a second check and without an extra async frame.
    try {
      const values = copySeriesValues(metrics);
      if (typeof options !== "object" || options === null) {
        throw new InvalidTypeError(
          `logTimeSeriesMetrics options must be { step, wallTime }; got ${typeName(options)}.`,
        );
      }
      const explicitStep = options.step;
      const wallTimeOption = options.wallTime;
      if (explicitStep !== undefined) validateStep(explicitStep);
      const wallTime = wallTimeOption === undefined ? Date.now() : toWallTime(wallTimeOption);
      const step = explicitStep ?? this.#steps.nextKnown();
      if (step === undefined || this.#needsTensorboardCheck()) {
        return this.#logTimeSeriesAfterLookup(values, explicitStep, wallTime);
      }
      this.#steps.note(step);
      return this.#append(step, wallTime, values);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #append(step: number, wallTime: number, values: Record<string, number>): Promise<void> {
    const writes = [{ step, wallTime, values }];
    const trusted = this.#trusted;
    return trusted
      ? trusted.appendTimeSeries(this.#ref, writes)
      : this.backend.appendTimeSeries(this.#ref, writes);
  }

  #needsTensorboardCheck(): boolean {
    return this.backend.capabilities.requiresTensorboard && !this.#record.tensorboardRun;
  }

  async #logTimeSeriesAfterLookup(
    values: Record<string, number>,
    explicitStep: number | undefined,
    wallTime: number,
  ): Promise<void> {
    // Listed runs may not carry their TensorBoard run (it costs a read per run): look before refusing.
    if (this.#needsTensorboardCheck()) await this.#refresh();
    if (this.#needsTensorboardCheck()) {
      throw new ValidationError(
        `Run ${this.name} has no backing TensorBoard, which the ${this.backend.name} backend needs for time series. ` +
          `Pass { tensorboard } to ExperimentRun.create, set init({ experimentTensorboard }), or call ` +
          `run.assignBackingTensorboard(tensorboard).`,
        { backend: this.backend.name },
      );
    }
    const step = explicitStep ?? (await this.#steps.next());
    this.#steps.note(step);
    await this.#append(step, wallTime, values);
  }

  /**
   * Python's `get_time_series_data_frame()`: rows `{ step, wall_time, <metric>: value, … }`, one per
   * (step, wall time), sorted by step then wall time; columns `step`, `wall_time`, then the metrics in
   * the order their series were created (`undefined` where a row has no value); for a step of a metric
   * written twice, the last write wins. Built on the stream: memory is the rows themselves. Name the
   * metrics for precise row types: `getTimeSeriesDataFrame<"loss" | "acc">()`.
   */
  async getTimeSeriesDataFrame<M extends string = string>(): Promise<TimeSeriesDataFrameRow<M>[]> {
    return (await runDataFrame(this.backend, this.#ref)) as TimeSeriesDataFrameRow<M>[];
  }

  /**
   * Streams the run's points as column chunks (`{ metric, steps, wallTimes, values }`, Float64Arrays),
   * for reads too large to hold: every stored point exactly once, unsampled; the points of one
   * (metric, step) in write order (keep the last); the first chunk of each metric in series creation
   * order. `metrics` and `steps: { from?, to? }` (inclusive) narrow it. The query is checked before any
   * I/O (the first `next()` rejects with `ValidationError`); a requested metric the run does not have
   * is a `ValidationError` at the end of the stream.
   */
  readTimeSeries(query?: SeriesQuery): AsyncIterable<SeriesChunk> {
    return streamRunSeries(this.backend, this.#ref, query);
  }

  /**
   * The downsampled read for charts: per metric, the raw `count`, the exact `first`/`last` point of the
   * range, and for at most `buckets` (default 1000) buckets of equal width along `x` (`"step"`, the
   * default, or `"wallTime"`) each bucket's min, max, first and last point as columnar Float64Arrays.
   * A min/max envelope, never sampling: a spike at a single step is always in the result.
   * See {@link DownsampledTimeSeries} for the shape.
   */
  getTimeSeries(query?: TimeSeriesQuery): Promise<DownsampledTimeSeries> {
    return downsampleRun(this.backend, this.#ref, query);
  }

  /** Stores a confusion matrix and/or ROC curve as a `google.ClassificationMetrics` artifact of the run. */
  async logClassificationMetrics(input: ClassificationMetricsInput): Promise<ClassificationMetrics> {
    const checked = checkClassificationMetrics(input);
    const artifact = await this.backend.createArtifact({
      schemaTitle: SCHEMA.classificationMetrics,
      schemaVersion: SCHEMA.defaultVersion,
      displayName: checked.displayName ?? "",
      state: "LIVE",
      metadata: encodeClassificationMetrics(checked),
    });
    await this.backend.attributeToRun(this.#ref, { artifacts: [artifact.id] });
    return decodeClassificationMetrics(artifact);
  }

  /** `[{ id, displayName, labels, matrix, fpr, tpr, thresholds }]`, in the order logged. */
  async getClassificationMetrics(): Promise<ClassificationMetrics[]> {
    const records = await collectPages((page) =>
      this.backend.listArtifacts({ ...page, run: this.#ref, schemaTitle: SCHEMA.classificationMetrics }),
    );
    return records.map(decodeClassificationMetrics);
  }

  async associateExecution(execution: Execution | string): Promise<void> {
    await this.backend.attributeToRun(this.#ref, { executions: [idOf(execution, "execution")] });
  }

  async getExecutions(): Promise<Execution[]> {
    const records = await collectPages((page) => this.backend.listExecutions({ ...page, run: this.#ref }));
    return records.map((r) => new Execution(this.backend, r));
  }

  /** Attributes artifacts to the run (classification metrics are attributed by `logClassificationMetrics`). */
  async associateArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    await this.backend.attributeToRun(this.#ref, { artifacts: idsOf(artifacts, "artifact") });
  }

  /** Every artifact attributed to the run, classification metrics included. */
  async getArtifacts(): Promise<Artifact[]> {
    const records = await collectPages((page) => this.backend.listArtifacts({ ...page, run: this.#ref }));
    return records.map((r) => new Artifact(this.backend, r));
  }

  /**
   * Links resources to the run as children: `log({ pipelineJob })`, or any kind registered with
   * `registerLoggableSchema` under its key.
   */
  async log(resources: { pipelineJob?: PipelineJob } & Record<string, unknown>): Promise<void> {
    if (!isPlainObject(resources)) {
      throw new InvalidTypeError(
        `log takes { pipelineJob } (or a registered key); got ${typeName(resources)}.`,
      );
    }
    const children = Object.entries(resources)
      .filter(([, resource]) => resource !== undefined)
      .map(([key, resource]) => {
        const schema = getLoggableSchema(key);
        if (typeof resource !== "object" || resource === null) {
          throw new InvalidTypeError(`log({ ${key} }) needs a resource object; got ${typeName(resource)}.`);
        }
        return { schemaTitle: schema.schemaTitle, ...schema.toChild(resource) };
      });
    if (children.length > 0) await this.backend.addRunChildren(this.#ref, children);
  }

  /** Resources of a registered loggable kind linked to this run, in the order logged. */
  async getLogged<T = unknown>(key: string): Promise<T[]> {
    const schema = getLoggableSchema(key);
    const children = await this.backend.listRunChildren(this.#ref, { schemaTitle: schema.schemaTitle });
    return children.map((child) => schema.fromChild(child) as T);
  }

  async getLoggedPipelineJobs(): Promise<PipelineJob[]> {
    return this.getLogged<PipelineJob>("pipelineJob");
  }

  /** Assigns the TensorBoard that keeps this run's time series; a run keeps the first one it gets. */
  async assignBackingTensorboard(tensorboard: string | { resourceName: string }): Promise<void> {
    const name = tensorboardName(tensorboard);
    const current = (await this.#refresh()).tensorboardRun;
    if (current) {
      throw new ValidationError(
        `Experiment run ${this.name} already associated to tensorboard resource ${current}. ` +
          `Delete the run with { deleteBackingTensorboardRun: true } to reuse its name with another TensorBoard.`,
        { backend: this.backend.name },
      );
    }
    const tensorboardRun = await this.backend.assignRunTensorboard(this.#ref, name);
    this.#record = { ...this.#record, tensorboardRun };
  }

  // ── tags and note ─────────────────────────────────────────────────────────────────────────

  /** Sets tags (string → string): the same key is overwritten, other tags stay. */
  async setTags(tags: Record<string, string>): Promise<void> {
    if (!isPlainObject(tags))
      throw new InvalidTypeError(`setTags takes { key: "value" }; got ${typeName(tags)}.`);
    // Each value is read once (a getter cannot pass this check and hand the gateway something else).
    const copy: Record<string, string> = {};
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value !== "string") {
        throw new InvalidTypeError(
          `Tag values must be strings; got ${typeName(value)}. Use deleteTags([key]) to remove a tag.`,
        );
      }
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    }
    await this.#update({ tags: copy });
  }

  /** The run's tags, read from the store. */
  async getTags(): Promise<Record<string, string>> {
    return { ...(await this.#refresh()).tags };
  }

  /** Removes the given tags; a key that is not set is ignored. */
  async deleteTags(keys: string[]): Promise<void> {
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) {
      throw new InvalidTypeError(`deleteTags takes an array of tag keys; got ${typeName(keys)}.`);
    }
    if (keys.length === 0) return;
    await this.#update({ tags: Object.fromEntries(keys.map((k) => [k, null])) });
  }

  /** Sets the run's note (`run.description`); `""` clears it. */
  async setDescription(description: string): Promise<void> {
    await this.#update({ description });
  }

  // ── state ──────────────────────────────────────────────────────────────────────────────────

  /** Sets the state; any state may follow any state. */
  async updateState(state: RunState): Promise<void> {
    const checked = parseRunState(state);
    await this.#update({ state: checked });
    this.#noteState(checked);
  }

  /** Makes buffered writes durable, then sets the state (COMPLETE unless given). */
  async endRun(options: { state?: RunState } = {}): Promise<void> {
    const opts = optionsObject(options, "endRun options") as { state?: RunState };
    const state = parseRunState(opts.state ?? "COMPLETE");
    try {
      await this.backend.flush();
      await this.#update({ state });
    } finally {
      this.#noteState(state);
    }
    for (const listener of runEndListeners) listener(this);
  }

  /** Makes this run's buffered time series durable without ending it. */
  async flush(): Promise<void> {
    await this.backend.flush();
  }

  /** Deletes the run; its TensorBoard run too when asked. Artifacts and executions stay (as in Vertex). */
  async delete(options: { deleteBackingTensorboardRun?: boolean } = {}): Promise<void> {
    const opts = optionsObject(options, "delete options");
    await this.backend.deleteRun(this.#ref, {
      deleteBackingTensorboardRun: (opts.deleteBackingTensorboardRun as boolean | undefined) ?? false,
    });
    activeRuns.delete(this);
  }

  /**
   * `await using run = …`: ends a still-running run COMPLETE — also when the block throws, since a
   * disposer cannot see the exception (use `withRun` to get FAILED on errors).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#record.state === "RUNNING") await this.endRun({ state: "COMPLETE" });
    else await this.backend.flush();
  }

  toJSON(): RunRecord {
    return {
      ...this.#record,
      params: { ...this.#record.params },
      metrics: { ...this.#record.metrics },
      tags: { ...this.#record.tags },
    };
  }

  /** What `console.log(run)` shows: the run, its store and the kind of credentials, never key material. */
  [INSPECT](): string {
    const shown = {
      experiment: this.experiment,
      name: this.name,
      state: this.#record.state,
      backend: this.backend.name,
      project: this.project,
      location: this.location,
      credentials: describeCredentials(this.#credentials),
    };
    return `ExperimentRun ${JSON.stringify(shown)}`;
  }

  async #update(patch: RunPatch): Promise<void> {
    this.#record = await this.backend.updateRun(this.#ref, patch);
  }

  async #refresh(): Promise<RunRecord> {
    const record = await this.backend.getRun(this.#ref);
    if (!record) throw runNotFound(this.#ref, { backend: this.backend.name });
    this.#record = record;
    return record;
  }

  #noteState(state: RunState): void {
    if (state === "RUNNING") activeRuns.add(this);
    else activeRuns.delete(this);
  }
}

/** @internal Lets the module-level tracker forget a run ended directly. */
export const runEndListeners = new Set<(run: ExperimentRun) => void>();
