import type { Backend } from "./backend.js";
import { type CommonOptions, resolveBackend, resolveExperimentName, resolveLocation } from "./config.js";
import { buildTimeSeriesDataFrame, type TimeSeriesDataFrameRow } from "./dataframe.js";
import { NotFoundError, ValidationError } from "./errors.js";
import { Experiment } from "./experiment.js";
import { getLoggableSchema } from "./loggable-schemas.js";
import { runResourceId, validateName } from "./names.js";
import { collectPages } from "./paging.js";
import { Artifact, Execution, idOf, type PipelineJob } from "./resources.js";
import type { Metadata, MetadataValue, RunPatch, RunRecord, RunRef, RunState, Value } from "./types.js";
import { SCHEMA } from "./types.js";
import {
  type ClassificationMetricsInput,
  copySeriesValues,
  toWallTime,
  validateClassificationMetrics,
  validateState,
  validateStep,
  validateValues,
} from "./validation.js";

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

export interface ClassificationMetrics {
  id: string;
  displayName: string;
  labels?: string[];
  matrix?: number[][];
  fpr?: number[];
  tpr?: number[];
  thresholds?: number[];
}

/** A run of an experiment: params, summary metrics, time series, classification metrics and links. */
export class ExperimentRun implements AsyncDisposable {
  readonly backend: Backend;
  readonly experiment: string;
  readonly name: string;
  readonly project: string;
  readonly location: string;
  readonly credentials: unknown;
  #record: RunRecord;
  /** Largest step this object knows of; `undefined` until the store was asked. */
  #largestStep: number | undefined;
  #localLargestStep = 0;
  #stepLookup: Promise<number> | undefined;
  readonly #ref: RunRef;

  /** @internal Use {@link ExperimentRun.create} or {@link ExperimentRun.get}. */
  constructor(backend: Backend, record: RunRecord, options: CommonOptions = {}) {
    this.backend = backend;
    this.#record = record;
    this.experiment = record.experiment;
    this.name = record.name;
    this.#ref = Object.freeze({ experiment: record.experiment, run: record.name });
    const where = resolveLocation(options, backend);
    this.project = where.project;
    this.location = where.location;
    this.credentials = where.credentials;
  }

  /** Creates a run (state RUNNING unless given). The experiment is created on first use. */
  static async create(runName: string, options: CreateRunOptions = {}): Promise<ExperimentRun> {
    validateName("run", runName);
    const experimentName = experimentNameOf(options.experiment);
    runResourceId(experimentName, runName);
    const state = options.state ?? "RUNNING";
    validateState(state);
    const tensorboard = options.tensorboard === undefined ? undefined : tensorboardName(options.tensorboard);
    const experiment = await Experiment.resolve(options.experiment ?? experimentName, options);
    const backend = experiment.backend;
    let record = await backend.createRun(experiment.name, { name: runName, state });
    const backing = tensorboard ?? experiment.backingTensorboard;
    if (backing) {
      const tensorboardRun = await backend.assignRunTensorboard(
        { experiment: experiment.name, run: runName },
        backing,
      );
      record = { ...record, tensorboardRun };
    }
    const run = new ExperimentRun(backend, record, options);
    // A run this call created has no points yet: the first implicit step is 1 without asking the store.
    run.#largestStep = 0;
    return run;
  }

  /** The existing run (Python's `ExperimentRun(run_name, experiment)`); `NotFoundError` if absent. */
  static async get(runName: string, options: RunOptions = {}): Promise<ExperimentRun> {
    validateName("run", runName);
    const { experiment, backend } = await target(options);
    const record = await backend.getRun({ experiment, run: runName });
    if (!record) {
      throw new NotFoundError(
        `Run ${JSON.stringify(runName)} was not found in experiment ${JSON.stringify(experiment)}. ` +
          `Create it with ExperimentRun.create() or startRun().`,
        { backend: backend.name },
      );
    }
    return new ExperimentRun(backend, record, options);
  }

  /**
   * Every run of the experiment, with params, metrics and state loaded. Pipeline runs a store lists
   * as rows of the experiment (`system.PipelineRun`, shown by `Experiment.getDataFrame()`) are not
   * ExperimentRuns, as in Python's `ExperimentRun.list`.
   */
  static async list(options: RunOptions = {}): Promise<ExperimentRun[]> {
    const { experiment, backend } = await target(options);
    // listRuns rejects a missing experiment with NotFoundError itself (the Backend contract).
    const records = await collectPages((page) => backend.listRuns(experiment, page));
    return records
      .filter((r) => r.runType !== SCHEMA.pipelineRun)
      .map((r) => new ExperimentRun(backend, r, options));
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
  /** The state as of this object's last read or write; `getState()` reads the store. */
  get state(): RunState {
    return this.#record.state;
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

  /** Merges params: the same key is overwritten, other keys stay. Every key is checked before anything is written. */
  async logParams(params: Record<string, Value>): Promise<void> {
    validateValues("params", params, this.backend.capabilities, this.backend.name);
    await this.#update({ params: { ...params } });
  }

  /** Merges summary metrics, like {@link logParams}. */
  async logMetrics(metrics: Record<string, Value>): Promise<void> {
    validateValues("metrics", metrics, this.backend.capabilities, this.backend.name);
    await this.#update({ metrics: { ...metrics } });
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
    // already known) goes straight to the backend without an extra async frame.
    try {
      const values = copySeriesValues(metrics);
      if (options.step !== undefined) validateStep(options.step);
      const wallTime = options.wallTime === undefined ? Date.now() : toWallTime(options.wallTime);
      const needsLookup =
        (this.backend.capabilities.requiresTensorboard && !this.#record.tensorboardRun) ||
        (options.step === undefined && this.#largestStep === undefined);
      if (needsLookup) return this.#logTimeSeriesAfterLookup(values, options.step, wallTime);
      const step = options.step ?? this.#largestStep! + 1;
      this.#noteStep(step);
      return this.backend.appendTimeSeries(this.#ref, [{ step, wallTime, values }]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #logTimeSeriesAfterLookup(
    values: Record<string, number>,
    explicitStep: number | undefined,
    wallTime: number,
  ): Promise<void> {
    if (this.backend.capabilities.requiresTensorboard && !this.#record.tensorboardRun) {
      // Listed runs may not carry their TensorBoard run (it costs a read per run): look before refusing.
      await this.#refresh();
    }
    if (this.backend.capabilities.requiresTensorboard && !this.#record.tensorboardRun) {
      throw new ValidationError(
        `Run ${this.name} has no backing TensorBoard, which the ${this.backend.name} backend needs for time series. ` +
          `Pass { tensorboard } to ExperimentRun.create, set init({ experimentTensorboard }), or call ` +
          `run.assignBackingTensorboard(tensorboard).`,
        { backend: this.backend.name },
      );
    }
    const step = explicitStep ?? (await this.#nextStep());
    this.#noteStep(step);
    await this.backend.appendTimeSeries(this.#ref, [{ step, wallTime, values }]);
  }

  /** Every logged step counts towards "the largest step so far". */
  #noteStep(step: number): void {
    if (step > this.#localLargestStep) this.#localLargestStep = step;
    if (this.#largestStep !== undefined && step > this.#largestStep) this.#largestStep = step;
  }

  /** Rows `{ step, wall_time, <metric>: value }`, one per (step, wall time), sorted by step. */
  async getTimeSeriesDataFrame(): Promise<TimeSeriesDataFrameRow[]> {
    return buildTimeSeriesDataFrame(await this.backend.readTimeSeries(this.ref));
  }

  /** Stores a confusion matrix and/or ROC curve as a `google.ClassificationMetrics` artifact of the run. */
  async logClassificationMetrics(input: ClassificationMetricsInput): Promise<ClassificationMetrics> {
    validateClassificationMetrics(input);
    const { labels, matrix, fpr, tpr, threshold, displayName = "" } = input;
    const metadata: Metadata = {};
    if (labels?.length && matrix?.length) {
      metadata.confusionMatrix = {
        annotationSpecs: labels.map((label): MetadataValue => (label ? { displayName: label } : {})),
        rows: matrix.map((row) => [...row]),
      };
    }
    if (fpr?.length && tpr?.length && threshold?.length) {
      metadata.confidenceMetrics = threshold.map((t, i) => ({
        confidenceThreshold: t,
        recall: tpr[i]!,
        falsePositiveRate: fpr[i]!,
      }));
    }
    const artifact = await this.backend.createArtifact({
      schemaTitle: SCHEMA.classificationMetrics,
      schemaVersion: SCHEMA.defaultVersion,
      displayName,
      state: "LIVE",
      metadata,
    });
    await this.backend.attributeToRun(this.ref, { artifacts: [artifact.id] });
    return toClassificationMetrics(new Artifact(this.backend, artifact));
  }

  /** `[{ id, displayName, labels, matrix, fpr, tpr, thresholds }]`, in the order logged. */
  async getClassificationMetrics(): Promise<ClassificationMetrics[]> {
    const records = await collectPages((page) =>
      this.backend.listArtifacts({ ...page, run: this.ref, schemaTitle: SCHEMA.classificationMetrics }),
    );
    return records.map((r) => toClassificationMetrics(new Artifact(this.backend, r)));
  }

  async associateExecution(execution: Execution | string): Promise<void> {
    await this.backend.attributeToRun(this.ref, { executions: [idOf(execution)] });
  }

  async getExecutions(): Promise<Execution[]> {
    const records = await collectPages((page) => this.backend.listExecutions({ ...page, run: this.ref }));
    return records.map((r) => new Execution(this.backend, r));
  }

  /** Attributes artifacts to the run (classification metrics are attributed by `logClassificationMetrics`). */
  async associateArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    await this.backend.attributeToRun(this.ref, { artifacts: artifacts.map(idOf) });
  }

  /** Every artifact attributed to the run, classification metrics included. */
  async getArtifacts(): Promise<Artifact[]> {
    const records = await collectPages((page) => this.backend.listArtifacts({ ...page, run: this.ref }));
    return records.map((r) => new Artifact(this.backend, r));
  }

  /**
   * Links resources to the run as children: `log({ pipelineJob })`, or any kind registered with
   * `registerLoggableSchema` under its key.
   */
  async log(resources: { pipelineJob?: PipelineJob } & Record<string, unknown>): Promise<void> {
    const children = Object.entries(resources)
      .filter(([, resource]) => resource !== undefined)
      .map(([key, resource]) => {
        const schema = getLoggableSchema(key);
        return { schemaTitle: schema.schemaTitle, ...schema.toChild(resource) };
      });
    if (children.length > 0) await this.backend.addRunChildren(this.ref, children);
  }

  /** Resources of a registered loggable kind linked to this run, in the order logged. */
  async getLogged<T = unknown>(key: string): Promise<T[]> {
    const schema = getLoggableSchema(key);
    const children = await this.backend.listRunChildren(this.ref, { schemaTitle: schema.schemaTitle });
    return children.map((child) => schema.fromChild(child) as T);
  }

  async getLoggedPipelineJobs(): Promise<PipelineJob[]> {
    return this.getLogged<PipelineJob>("pipelineJob");
  }

  /** Assigns the TensorBoard that keeps this run's time series; a run keeps the first one it gets. */
  async assignBackingTensorboard(tensorboard: string | { resourceName: string }): Promise<void> {
    const current = (await this.#refresh()).tensorboardRun;
    if (current) {
      throw new ValidationError(
        `Experiment run ${this.name} already associated to tensorboard resource ${current}. ` +
          `Delete the run with { deleteBackingTensorboardRun: true } to reuse its name with another TensorBoard.`,
        { backend: this.backend.name },
      );
    }
    const tensorboardRun = await this.backend.assignRunTensorboard(this.ref, tensorboardName(tensorboard));
    this.#record = { ...this.#record, tensorboardRun };
  }

  /** Sets the state; any state may follow any state. */
  async updateState(state: RunState): Promise<void> {
    validateState(state);
    await this.#update({ state });
  }

  /** Makes buffered writes durable, then sets the state (COMPLETE unless given). */
  async endRun(options: { state?: RunState } = {}): Promise<void> {
    const state = options.state ?? "COMPLETE";
    validateState(state);
    await this.backend.flush?.();
    await this.#update({ state });
    for (const listener of runEndListeners) listener(this);
  }

  /** Makes this run's buffered time series durable without ending it. */
  async flush(): Promise<void> {
    await this.backend.flush?.();
  }

  /** Deletes the run; its TensorBoard run too when asked. Artifacts and executions stay (as in Vertex). */
  async delete(options: { deleteBackingTensorboardRun?: boolean } = {}): Promise<void> {
    await this.backend.deleteRun(this.ref, {
      deleteBackingTensorboardRun: options.deleteBackingTensorboardRun ?? false,
    });
  }

  /** `await using run = …`: ends a still-running run COMPLETE (use `withRun` to get FAILED on errors). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#record.state === "RUNNING") await this.endRun({ state: "COMPLETE" });
    else await this.backend.flush?.();
  }

  toJSON(): RunRecord {
    return { ...this.#record, params: { ...this.#record.params }, metrics: { ...this.#record.metrics } };
  }

  async #update(patch: RunPatch): Promise<void> {
    this.#record = await this.backend.updateRun(this.ref, patch);
  }

  async #refresh(): Promise<RunRecord> {
    const record = await this.backend.getRun(this.ref);
    if (!record) {
      throw new NotFoundError(`Run ${this.name} of experiment ${this.experiment} was deleted.`, {
        backend: this.backend.name,
      });
    }
    this.#record = record;
    return record;
  }

  async #nextStep(): Promise<number> {
    if (this.#largestStep === undefined) {
      this.#stepLookup ??= this.backend.latestTimeSeries(this.ref).then((latest) => {
        let largest = 0;
        for (const point of Object.values(latest)) if (point.step > largest) largest = point.step;
        return largest;
      });
      const stored = await this.#stepLookup;
      this.#largestStep ??= Math.max(stored, this.#localLargestStep);
    }
    this.#largestStep += 1;
    return this.#largestStep;
  }
}

/** @internal Lets the module-level tracker forget a run ended directly. */
export const runEndListeners = new Set<(run: ExperimentRun) => void>();

function experimentNameOf(experiment: string | Experiment | undefined): string {
  return experiment instanceof Experiment ? experiment.name : resolveExperimentName(experiment);
}

/** The experiment name and backend a call addresses (an `Experiment` object brings its own backend). */
async function target(options: RunOptions): Promise<{ experiment: string; backend: Backend }> {
  const experiment = experimentNameOf(options.experiment);
  const backend =
    options.experiment instanceof Experiment ? options.experiment.backend : await resolveBackend(options);
  return { experiment, backend };
}

function tensorboardName(tensorboard: string | { resourceName: string }): string {
  const name = typeof tensorboard === "string" ? tensorboard : tensorboard?.resourceName;
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(
      "tensorboard must be a TensorBoard resource name or an object with resourceName.",
    );
  }
  return name;
}

function toClassificationMetrics(artifact: Artifact): ClassificationMetrics {
  const metadata = artifact.metadata as {
    confusionMatrix?: { annotationSpecs?: { displayName?: string }[]; rows?: number[][] };
    confidenceMetrics?: { confidenceThreshold: number; recall: number; falsePositiveRate: number }[];
  };
  const result: ClassificationMetrics = { id: artifact.id, displayName: artifact.displayName };
  if (metadata.confusionMatrix) {
    result.labels = (metadata.confusionMatrix.annotationSpecs ?? []).map((spec) => spec.displayName ?? "");
    result.matrix = metadata.confusionMatrix.rows ?? [];
  }
  if (metadata.confidenceMetrics) {
    result.fpr = metadata.confidenceMetrics.map((m) => m.falsePositiveRate);
    result.tpr = metadata.confidenceMetrics.map((m) => m.recall);
    result.thresholds = metadata.confidenceMetrics.map((m) => m.confidenceThreshold);
  }
  return result;
}
