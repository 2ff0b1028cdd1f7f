import type { CheckedBackend } from "./checked-backend.js";
import {
  type CommonOptions,
  getDefaults,
  resolveBackend,
  resolveExperimentName,
  resolveLocation,
} from "./config.js";
import { buildExperimentDataFrame, type ExperimentDataFrameRow } from "./dataframe.js";
import { AlreadyExistsError, InvalidTypeError, ValidationError } from "./errors.js";
import { checkDescription, checkReference } from "./fields.js";
import { validateName } from "./names.js";
import { experimentNotFound } from "./not-found.js";
import { collectPages } from "./paging.js";
import { describeCredentials } from "./secrets.js";
import { fillLatestTimeSeries } from "./series-stream.js";
import type { ExperimentRecord } from "./types.js";
import { optionsObject, typeName } from "./validation.js";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

export interface ExperimentOptions extends CommonOptions {
  description?: string;
  /** TensorBoard resource name that backs the time series of the experiment's runs. */
  backingTensorboard?: string;
}

/** An experiment: a named group of runs (a Vertex `system.Experiment` context). */
export class Experiment {
  readonly backend: CheckedBackend;
  readonly project: string;
  readonly location: string;
  #credentials: unknown;
  #record: ExperimentRecord;

  /** @internal Use {@link Experiment.create}, {@link Experiment.get} or {@link Experiment.getOrCreate}. */
  constructor(backend: CheckedBackend, record: ExperimentRecord, options: CommonOptions = {}) {
    this.backend = backend;
    this.#record = record;
    const where = resolveLocation(options, backend);
    this.project = where.project;
    this.location = where.location;
    this.#credentials = where.credentials;
  }

  /** Creates an experiment; `AlreadyExistsError` if the name is taken. */
  static async create(name: string, options: ExperimentOptions = {}): Promise<Experiment> {
    validateName("experiment", name);
    const opts = experimentOptions(options, "Experiment.create options");
    const backend = await resolveBackend(opts);
    const record = await backend.createExperiment({
      name,
      description: opts.description ?? "",
      ...(opts.backingTensorboard ? { backingTensorboard: opts.backingTensorboard } : {}),
    });
    return new Experiment(backend, record, opts);
  }

  /** The experiment; `NotFoundError` if it does not exist. Accepts a bare name or a `…/contexts/{name}` resource name. */
  static async get(name: string, options: CommonOptions = {}): Promise<Experiment> {
    if (typeof name !== "string") {
      throw new InvalidTypeError(`Experiment.get takes the experiment's name; got ${typeName(name)}.`);
    }
    const id = name.includes("/") ? name.slice(name.lastIndexOf("/") + 1) : name;
    validateName("experiment", id);
    const opts = optionsObject(options, "Experiment.get options") as CommonOptions;
    const backend = await resolveBackend(opts);
    const record = await backend.getExperiment(id);
    if (!record) throw experimentNotFound(id, { backend: backend.name });
    return new Experiment(backend, record, opts);
  }

  /**
   * The experiment, created if missing. A description that differs from the stored one is updated,
   * and a backing TensorBoard is assigned when the experiment has none (Python's `get_or_create`).
   */
  static async getOrCreate(name: string, options: ExperimentOptions = {}): Promise<Experiment> {
    validateName("experiment", name);
    options = experimentOptions(options, "Experiment.getOrCreate options");
    const backend = await resolveBackend(options);
    let record = await backend.getExperiment(name);
    if (!record) {
      try {
        return await Experiment.create(name, { ...options, backend });
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        record = await backend.getExperiment(name);
        if (!record) throw error;
      }
    }
    const experiment = new Experiment(backend, record, options);
    if (options.description && options.description !== record.description) {
      experiment.#record = await backend.updateExperiment(name, { description: options.description });
    }
    // The record just read already names this TensorBoard: nothing to assign, no second read.
    if (options.backingTensorboard && options.backingTensorboard !== record.backingTensorboard) {
      await experiment.assignBackingTensorboard(options.backingTensorboard);
    }
    return experiment;
  }

  /** Every experiment in the store. */
  static async list(options: CommonOptions = {}): Promise<Experiment[]> {
    const opts = optionsObject(options, "Experiment.list options") as CommonOptions;
    const backend = await resolveBackend(opts);
    const records = await collectPages((page) => backend.listExperiments(page));
    return records.map((r) => new Experiment(backend, r, opts));
  }

  /** @internal The experiment a run call uses: the call's, else `init`'s (created on first use). */
  static async resolve(
    experiment: string | Experiment | undefined,
    options: CommonOptions,
  ): Promise<Experiment> {
    if (experiment instanceof Experiment) return experiment;
    const name = resolveExperimentName(experiment);
    const defaults = getDefaults();
    const fromInit = experiment === undefined || experiment === defaults.experiment;
    return Experiment.getOrCreate(name, {
      ...options,
      ...(fromInit && defaults.experimentDescription ? { description: defaults.experimentDescription } : {}),
      ...(fromInit && defaults.experimentTensorboard
        ? { backingTensorboard: defaults.experimentTensorboard }
        : {}),
    });
  }

  get name(): string {
    return this.#record.name;
  }
  get resourceId(): string {
    return this.#record.name;
  }
  get resourceName(): string {
    return `projects/${this.project}/locations/${this.location}/metadataStores/default/contexts/${this.name}`;
  }
  get description(): string {
    return this.#record.description;
  }
  get backingTensorboard(): string | undefined {
    return this.#record.backingTensorboard;
  }
  get createTime(): Date {
    return new Date(this.#record.createTime);
  }
  get updateTime(): Date {
    return new Date(this.#record.updateTime);
  }

  /** Sets the TensorBoard that backs the experiment's runs; an experiment keeps the first one it gets. */
  async assignBackingTensorboard(tensorboard: string | { resourceName: string }): Promise<void> {
    const name =
      typeof tensorboard === "string"
        ? tensorboard
        : (tensorboard as { resourceName?: unknown } | null)?.resourceName;
    if (typeof name !== "string" || !name) {
      throw new ValidationError("assignBackingTensorboard needs a TensorBoard resource name.");
    }
    const current = (await this.backend.getExperiment(this.name))?.backingTensorboard;
    if (current === name) return;
    if (current) {
      throw new ValidationError(
        `Experiment ${this.name} already has the backing TensorBoard ${current}; it cannot be changed to ${name}.`,
      );
    }
    this.#record = await this.backend.updateExperiment(this.name, { backingTensorboard: name });
  }

  /** Deletes the experiment and all its runs (and their TensorBoard runs when asked). */
  async delete(options: { deleteBackingTensorboardRuns?: boolean } = {}): Promise<void> {
    const opts = optionsObject(options, "delete options");
    await this.backend.deleteExperiment(this.name, {
      deleteBackingTensorboardRuns: (opts.deleteBackingTensorboardRuns as boolean | undefined) ?? false,
    });
  }

  /**
   * One row per run with Python's columns: `experiment_name`, `run_name`, `run_type`, `state`, then
   * `param.*`, `metric.*`, `time_series_metric.*` (latest value). Cells a run lacks are `null`.
   */
  async getDataFrame(options: { includeTimeSeries?: boolean } = {}): Promise<ExperimentDataFrameRow[]> {
    const opts = optionsObject(options, "getDataFrame options");
    const include = opts.includeTimeSeries;
    if (include !== undefined && typeof include !== "boolean") {
      throw new InvalidTypeError(`includeTimeSeries must be a boolean; got ${typeName(include)}.`);
    }
    const includeTimeSeries = include ?? true;
    const runs = await collectPages((page) =>
      this.backend.listRuns(this.name, { ...page, withLatestTimeSeries: includeTimeSeries }),
    );
    if (includeTimeSeries) await fillLatestTimeSeries(this.backend, runs); // listRuns MAY omit it
    return buildExperimentDataFrame(this.name, runs);
  }

  toJSON(): ExperimentRecord {
    return { ...this.#record };
  }

  /** What `console.log(experiment)` shows: never the store's clients or key material. */
  [INSPECT](): string {
    const shown = {
      name: this.name,
      backend: this.backend.name,
      project: this.project,
      location: this.location,
      credentials: describeCredentials(this.#credentials),
    };
    return `Experiment ${JSON.stringify(shown)}`;
  }
}

function experimentOptions(options: unknown, where: string): ExperimentOptions {
  const opts = optionsObject(options, where) as ExperimentOptions;
  if (opts.description !== undefined) checkDescription(opts.description);
  if (opts.backingTensorboard !== undefined) checkReference(opts.backingTensorboard, "backingTensorboard");
  return opts;
}
