import { type Clock, compareTimestamps } from "./clock.js";
import { Collection } from "./collection.js";
import type { ProjectNumbers } from "./names.js";
import type {
  Tensorboard,
  TensorboardExperiment,
  TensorboardRun,
  TensorboardTimeSeries,
  TimeSeriesDataPoint,
} from "./types.js";

export type TensorboardSeed = Partial<Tensorboard> & { name: string };
export type TensorboardExperimentSeed = Partial<TensorboardExperiment> & { name: string };
export type TensorboardRunSeed = Partial<TensorboardRun> & { name: string };
export type TensorboardTimeSeriesSeed = Partial<TensorboardTimeSeries> & { name: string };

/** The TensorBoard half of the store: tensorboards, their experiments, runs, time series and points. */
export class TensorboardState {
  protected readonly names: ProjectNumbers;
  protected readonly clock: Clock;
  readonly #tensorboards = new Collection<Tensorboard>();
  readonly #experiments = new Collection<TensorboardExperiment>();
  readonly #runs = new Collection<TensorboardRun>();
  readonly #series = new Collection<TensorboardTimeSeries>();
  /** series name → step → point (a write to a stored step replaces it). */
  readonly #points = new Map<string, Map<number, TimeSeriesDataPoint>>();

  constructor(names: ProjectNumbers, clock: Clock) {
    this.names = names;
    this.clock = clock;
  }

  /** `name` with the project number in place of a project id. */
  canonical(name: string): string {
    return this.names.canonical(name);
  }

  clear(): void {
    this.#tensorboards.clear();
    this.#experiments.clear();
    this.#runs.clear();
    this.#series.clear();
    this.#points.clear();
  }

  // ---- tensorboards ----

  getTensorboard(name: string): Tensorboard | undefined {
    const tensorboard = this.#tensorboards.get(this.canonical(name));
    if (tensorboard)
      tensorboard.runCount = this.#runs.namesStartingWith(`${tensorboard.name}/experiments/`).length;
    return tensorboard;
  }

  listTensorboards(parent?: string): Tensorboard[] {
    return this.#names(this.#tensorboards, parent, "tensorboards").map((name) => this.getTensorboard(name)!);
  }

  putTensorboard(seed: TensorboardSeed): Tensorboard {
    const now = this.clock.now();
    const tensorboard: Tensorboard = {
      displayName: "",
      description: "",
      blobStoragePathPrefix: "",
      createTime: now,
      updateTime: now,
      labels: {},
      etag: this.clock.nextEtag(),
      isDefault: false,
      ...seed,
      runCount: 0,
      name: this.canonical(seed.name),
    };
    this.#tensorboards.set(structuredClone(tensorboard));
    return this.getTensorboard(tensorboard.name)!;
  }

  /** Removes a tensorboard with its experiments, runs, series and points. */
  deleteTensorboard(name: string): boolean {
    const key = this.canonical(name);
    for (const experiment of this.#experiments.namesStartingWith(`${key}/experiments/`)) {
      this.deleteTensorboardExperiment(experiment);
    }
    return this.#tensorboards.delete(key);
  }

  // ---- experiments ----

  getTensorboardExperiment(name: string): TensorboardExperiment | undefined {
    return this.#experiments.get(this.canonical(name));
  }

  listTensorboardExperiments(parent?: string): TensorboardExperiment[] {
    return this.#names(this.#experiments, parent, "experiments").map((n) => this.#experiments.get(n)!);
  }

  putTensorboardExperiment(seed: TensorboardExperimentSeed): TensorboardExperiment {
    const now = this.clock.now();
    const experiment: TensorboardExperiment = {
      displayName: "",
      description: "",
      createTime: now,
      updateTime: now,
      labels: {},
      etag: this.clock.nextEtag(),
      source: "",
      ...seed,
      name: this.canonical(seed.name),
    };
    this.#experiments.set(structuredClone(experiment));
    return experiment;
  }

  deleteTensorboardExperiment(name: string): boolean {
    const key = this.canonical(name);
    for (const run of this.#runs.namesStartingWith(`${key}/runs/`)) this.deleteTensorboardRun(run);
    return this.#experiments.delete(key);
  }

  // ---- runs ----

  getTensorboardRun(name: string): TensorboardRun | undefined {
    return this.#runs.get(this.canonical(name));
  }

  listTensorboardRuns(parent?: string): TensorboardRun[] {
    return this.#names(this.#runs, parent, "runs").map((n) => this.#runs.get(n)!);
  }

  putTensorboardRun(seed: TensorboardRunSeed): TensorboardRun {
    const now = this.clock.now();
    const run: TensorboardRun = {
      displayName: "",
      description: "",
      createTime: now,
      updateTime: now,
      labels: {},
      etag: this.clock.nextEtag(),
      ...seed,
      name: this.canonical(seed.name),
    };
    this.#runs.set(structuredClone(run));
    return run;
  }

  /** Removes a run with its time series and their points. */
  deleteTensorboardRun(name: string): boolean {
    const key = this.canonical(name);
    for (const series of this.#series.namesStartingWith(`${key}/timeSeries/`))
      this.deleteTensorboardTimeSeries(series);
    return this.#runs.delete(key);
  }

  // ---- time series ----

  getTensorboardTimeSeries(name: string): TensorboardTimeSeries | undefined {
    const series = this.#series.get(this.canonical(name));
    if (series) series.metadata = this.#seriesMetadata(series);
    return series;
  }

  listTensorboardTimeSeries(parent?: string): TensorboardTimeSeries[] {
    return this.#names(this.#series, parent, "timeSeries").map((n) => this.getTensorboardTimeSeries(n)!);
  }

  putTensorboardTimeSeries(seed: TensorboardTimeSeriesSeed): TensorboardTimeSeries {
    const now = this.clock.now();
    const series: TensorboardTimeSeries = {
      displayName: "",
      description: "",
      valueType: "SCALAR",
      createTime: now,
      updateTime: now,
      etag: this.clock.nextEtag(),
      pluginName: "",
      pluginData: new Uint8Array(),
      ...seed,
      metadata: null,
      name: this.canonical(seed.name),
    };
    this.#series.set(structuredClone(series));
    return this.getTensorboardTimeSeries(series.name)!;
  }

  deleteTensorboardTimeSeries(name: string): boolean {
    const key = this.canonical(name);
    this.#points.delete(key);
    return this.#series.delete(key);
  }

  // ---- points ----

  /** Every stored point of a series, ordered by step (copies). */
  tensorboardPoints(seriesName: string): TimeSeriesDataPoint[] {
    return structuredClone(this.scanPoints(this.canonical(seriesName)));
  }

  /** Stores points into a series; a point at a stored step replaces it. */
  putTensorboardPoints(seriesName: string, points: TimeSeriesDataPoint[]): void {
    const key = this.canonical(seriesName);
    const byStep = this.#points.get(key) ?? new Map<number, TimeSeriesDataPoint>();
    for (const point of points)
      byStep.set(Number(point.step), structuredClone({ ...point, step: Number(point.step) }));
    this.#points.set(key, byStep);
  }

  /**
   * @internal The live stored points of a canonically named series, ordered by step, for the
   * fake's read handlers (stored points are replaced, never changed in place; callers MUST NOT change them).
   */
  scanPoints(key: string): TimeSeriesDataPoint[] {
    const byStep = this.#points.get(key);
    if (!byStep) return [];
    return [...byStep.values()].sort((a, b) => a.step - b.step);
  }

  #seriesMetadata(series: TensorboardTimeSeries): TensorboardTimeSeries["metadata"] {
    const byStep = this.#points.get(series.name);
    if (!byStep || byStep.size === 0) return null;
    let maxStep = Number.NEGATIVE_INFINITY;
    let maxWallTime: TimeSeriesDataPoint["wallTime"] = null;
    let maxBlobSequenceLength = 0;
    for (const point of byStep.values()) {
      maxStep = Math.max(maxStep, point.step);
      if (compareTimestamps(point.wallTime, maxWallTime) > 0) maxWallTime = point.wallTime;
      maxBlobSequenceLength = Math.max(maxBlobSequenceLength, point.blobs?.values.length ?? 0);
    }
    return { maxStep, maxWallTime: structuredClone(maxWallTime), maxBlobSequenceLength };
  }

  #names<T extends { name: string }>(
    collection: Collection<T>,
    parent: string | undefined,
    kind: string,
  ): string[] {
    const items = parent === undefined ? collection.values() : collection.under(this.canonical(parent), kind);
    return items.map((item) => item.name);
  }
}
