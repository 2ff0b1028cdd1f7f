import type {
  ArtifactRecord,
  ExecutionPatch,
  ExecutionRecord,
  ExperimentRecord,
  NewArtifact,
  NewExecution,
  NewExperiment,
  NewRun,
  Page,
  PageRequest,
  ResourceQuery,
  RunChild,
  RunPatch,
  RunRecord,
  RunRef,
  SeriesChunk,
  SeriesPoint,
  SeriesQuery,
  TimeSeriesWrite,
} from "./types.js";

/**
 * What a store can do beyond the common contract. Declared, never sniffed: `@exprun/conformance`
 * reads these flags to decide which groups to run, and core reads them to reject input early.
 */
export interface BackendCapabilities {
  /**
   * Params and summary metrics keep NaN, Infinity and -Infinity. When false, core rejects such
   * values with a `ValidationError` before anything is written (Vertex: VERTEX.md §10.4).
   */
  nonFiniteValues: boolean;
  /**
   * Time series need a TensorBoard assigned to the run (Vertex). When true, logging time series to a
   * run without one is a `ValidationError`; nothing is created implicitly.
   */
  requiresTensorboard: boolean;
  /**
   * `appendTimeSeries` may keep points in memory until `flush()`/`close()`. Reads through the same
   * backend object still see them (it flushes before reading); another backend object on the same
   * store sees them only after `flush()`. When false, a resolved `appendTimeSeries` is visible to
   * every backend object on the store at once. The conformance suite tests whichever is declared.
   */
  bufferedTimeSeries: boolean;
  /**
   * Several processes (or machines) may write one store, and one run, at once without losing an
   * acknowledged write. The conformance suite runs real child processes against stores declaring it.
   */
  multiProcess: boolean;
  /**
   * Given create/update times (`NewRun.createTime`, `RunPatch.updateTime`, `NewArtifact.createTime`, …)
   * are stored and read back as given. When false (Vertex assigns its own times), core never passes
   * them and copies/importers report that times were not kept.
   */
  keepsTimes: boolean;
  /**
   * Tags are stored as labels with Vertex's rules (keys and values at most 63 of `[a-z0-9_-]`, keys
   * not empty, at most 64 tags per run). When true, core rejects a tag that breaks them with a
   * `ValidationError` naming the rule, before anything is written. Other stores keep any string.
   */
  tagsAsLabels: boolean;
}

/**
 * The storage contract. A backend stores and reads; every rule a user can observe (names, types,
 * defaults, step numbering, validation) is applied by `@exprun/core` before a backend is called,
 * so a backend MUST NOT re-validate it. Conformance: `@exprun/conformance`.
 *
 * A backend is always used through `checkBackend(backend)` (every factory returns it wrapped), which
 * checks and snapshots every argument before the backend sees it, owns the closed state and derives
 * the optional methods. So a backend never sees a malformed argument, and a call after `close()`
 * never reaches it.
 *
 * General rules for every method:
 * - Records returned are fresh copies: mutating them MUST NOT change the store.
 * - A missing experiment or run given to a method that needs it MUST reject with `NotFoundError`
 *   (build it with core's `experimentNotFound` / `runNotFound` / `resourceNotFound`, so the wording
 *   is the same on every store).
 * - Incarnations: a run deleted and created again under the same name is a new run with a new
 *   `incarnation`. A method given a `RunRef` with an `incarnation` MUST treat a run whose current
 *   incarnation differs as missing (reads resolve `undefined` or reject `NotFoundError`, writes reject
 *   `NotFoundError`), and nothing of such a write may ever appear in the newer run — also when the
 *   write was buffered, retried or flushed at exit. A `RunRef` without `incarnation` addresses the
 *   current run of that name.
 * - Transport or storage failures MUST reject with `BackendError` (cause attached, no credentials).
 * - When a call resolves, its write is visible to every later read, from any process or client
 *   sharing the store ("read your writes"), except buffered time series, which are visible to the
 *   writing backend at once and to others after `flush()`.
 * - Names are opaque to a backend beyond core's guarantee (`[a-z0-9][a-z0-9-]*`); a backend MUST
 *   NOT let any name address data outside its store.
 */
export interface Backend {
  /** Short backend name used in messages, e.g. `"memory"`, `"file"`, `"s3"`, `"vertex"`. */
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  /** Defaults for `project`/`location` when neither `init` nor the call gives one (Vertex: its own). */
  readonly project?: string;
  readonly location?: string;
  /** What `run.credentials` returns; backends without credentials leave it undefined. */
  readonly credentials?: unknown;

  // ── experiments ────────────────────────────────────────────────────────────────────────────

  /** MUST reject with `AlreadyExistsError` if the name is taken; exactly one of two racing creators wins. */
  createExperiment(experiment: NewExperiment): Promise<ExperimentRecord>;
  /** Resolves `undefined` when absent. */
  getExperiment(name: string): Promise<ExperimentRecord | undefined>;
  /** Every experiment exactly once across pages, in a stable order (creation order or name order). */
  listExperiments(page?: PageRequest): Promise<Page<ExperimentRecord>>;
  /** Sets the given fields; others keep their value. */
  updateExperiment(
    name: string,
    patch: { description?: string; backingTensorboard?: string },
  ): Promise<ExperimentRecord>;
  /**
   * Deletes the experiment and every run in it (their params, metrics, time series and links).
   * Artifacts and executions are resources of their own and stay, as in Vertex.
   * With `deleteBackingTensorboardRuns`, the runs' TensorBoard runs go too where the store has them.
   */
  deleteExperiment(name: string, options: { deleteBackingTensorboardRuns: boolean }): Promise<void>;

  // ── runs ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Creates a run with empty params, metrics and tags, an empty description and a new `incarnation`
   * (never one this store used for the name before). `runType` defaults to `system.ExperimentRun`;
   * `createTime`/`updateTime`, when given (only to stores that declare `keepsTimes`), MUST be stored
   * as given. MUST reject with `NotFoundError` when the experiment is missing and
   * `AlreadyExistsError` when the run exists; of racing creators exactly one wins.
   */
  createRun(experiment: string, run: NewRun): Promise<RunRecord>;
  /** Resolves `undefined` when absent (or, with `ref.incarnation`, when that creation is gone). */
  getRun(ref: RunRef): Promise<RunRecord | undefined>;
  /**
   * Every run of the experiment exactly once across pages, in creation order, each with params,
   * metrics and state (no per-run follow-up read needed). With `withLatestTimeSeries`, each record
   * SHOULD carry `latestTimeSeries`; a store MAY omit it (core then derives it per run from
   * `readSeries`, which costs a full read of each run's series). Page tokens stay valid while runs
   * are added.
   */
  listRuns(
    experiment: string,
    page?: PageRequest & { withLatestTimeSeries?: boolean },
  ): Promise<Page<RunRecord>>;
  /**
   * MUST merge atomically: params, metrics and tags one level deep (named keys set, other keys kept;
   * a tag given as `null` deleted), state and description replaced when given. Two concurrent calls
   * with different keys both survive, from any number of processes or clients. `updateTime` becomes
   * `patch.updateTime` when given (only to stores that declare `keepsTimes`), else now. Resolves with
   * the record after this update.
   */
  updateRun(ref: RunRef, patch: RunPatch): Promise<RunRecord>;
  /**
   * Deletes the run, its params, metrics, time series, attributions and children links; siblings are
   * untouched. With `deleteBackingTensorboardRun`, its TensorBoard run too.
   */
  deleteRun(ref: RunRef, options: { deleteBackingTensorboardRun: boolean }): Promise<void>;
  /**
   * Links the run to a TensorBoard and resolves the TensorBoard run's resource name, which later
   * `getRun` calls report as `tensorboardRun`. Core checks the run has none yet.
   */
  assignRunTensorboard(ref: RunRef, tensorboard: string): Promise<string>;

  // ── time series ────────────────────────────────────────────────────────────────────────────

  /**
   * Appends points. Writes are never lost by concurrency. A point for a (metric, step) that already
   * has one supersedes it: reads MUST return same-step points of a metric in write order so the
   * last one wins (core keeps the last). MAY buffer when `capabilities.bufferedTimeSeries`; buffered
   * points are kept per incarnation: a buffered append to a deleted run MAY resolve, but the
   * `flush()`/`close()` that would write it MUST reject with `NotFoundError` naming the run, and those
   * points are discarded (they were deleted with their run), never written into a newer incarnation.
   * `writes` and their `values` are fresh objects made by core for this call: a backend MAY keep
   * them without copying.
   */
  appendTimeSeries(ref: RunRef, writes: TimeSeriesWrite[]): Promise<void>;
  /**
   * Streams every point of the run as column chunks ({@link SeriesChunk}), flushing this backend's
   * buffer for the run first. Core builds every other read on it (DataFrame, latest points,
   * downsampled reads, export, copy). A store:
   * - MUST deliver every stored point exactly once, complete and unsampled;
   * - MUST deliver the points of one (metric, step) in write order (core keeps the last);
   * - MUST deliver the first chunk of each metric in the order the metrics' series were first
   *   created (written to), which is Python's DataFrame column order; later chunks of different
   *   metrics may interleave in any way;
   * - MUST NOT hold the whole series in memory to do so: read and yield a bounded slice at a time,
   *   and fetch the next slice only when the consumer asks for the next chunk;
   * - MUST NOT reuse or mutate a chunk's arrays once yielded (the consumer may keep them);
   * - MAY yield empty chunks, and MAY ignore `query` (core filters again), but SHOULD push
   *   `metrics` and `steps` down so that what is not wanted is never read;
   * - MUST reject a missing run with `NotFoundError` (from the first `next()`, before any chunk);
   * - on corrupt stored data, MUST throw a `BackendError` built by `corruptSeriesError` (naming the
   *   file or key, the offset, and how many points were delivered before it) after delivering the
   *   points before it.
   * `query` has been validated by core.
   */
  readSeries(ref: RunRef, query?: SeriesQuery): AsyncIterable<SeriesChunk>;
  /**
   * The latest point of each metric: largest step, ties broken by the last written, keys in series
   * creation order. Optional: without it, core derives it from `readSeries`; a store that keeps the
   * latest points cheaply (an index, a summary) SHOULD implement it.
   */
  latestTimeSeries?(ref: RunRef): Promise<Record<string, SeriesPoint>>;

  // ── artifacts, executions, run links ───────────────────────────────────────────────────────

  /**
   * MUST reject with `AlreadyExistsError` when an explicit id is taken; without an id, chooses a
   * unique one. Defaults come from core's `newArtifactRecord`; `createTime`/`updateTime` when given
   * (only to stores that declare `keepsTimes`) MUST be stored as given.
   */
  createArtifact(artifact: NewArtifact): Promise<ArtifactRecord>;
  getArtifact(id: string): Promise<ArtifactRecord | undefined>;
  /** Matching artifacts exactly once across pages, in creation order. */
  listArtifacts(query?: ResourceQuery): Promise<Page<ArtifactRecord>>;
  createExecution(execution: NewExecution): Promise<ExecutionRecord>;
  getExecution(id: string): Promise<ExecutionRecord | undefined>;
  listExecutions(query?: ResourceQuery): Promise<Page<ExecutionRecord>>;
  /** Atomic like `updateRun`: state replaced, metadata merged one level deep. */
  updateExecution(id: string, patch: ExecutionPatch): Promise<ExecutionRecord>;
  /** Adds input/output artifact events; idempotent (an artifact already present is skipped). */
  addExecutionEvents(id: string, events: { inputs?: string[]; outputs?: string[] }): Promise<ExecutionRecord>;
  /** Attributes artifacts and executions to the run; idempotent; missing ids reject with `NotFoundError`. */
  attributeToRun(ref: RunRef, links: { artifacts?: string[]; executions?: string[] }): Promise<void>;
  /** Adds children (by `resourceName`) to the run; idempotent. */
  addRunChildren(ref: RunRef, children: RunChild[]): Promise<void>;
  /** The run's children in the order first added, optionally of one schema title (core filters again). */
  listRunChildren(ref: RunRef, options?: { schemaTitle?: string }): Promise<RunChild[]>;

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────

  /**
   * Makes every acknowledged and buffered write durable. Optional: absent means nothing is buffered.
   * A flush that fails MUST keep every unflushed point for the next flush: a later flush never
   * resolves with an acknowledged point missing, and while the cause persists every flush rejects.
   */
  flush?(): Promise<void>;
  /**
   * Makes buffered writes durable, then releases resources (clients, file handles, timers). MUST
   * either make every buffered write durable or reject, keeping the points buffered so that a later
   * `flush()`/`close()` retries them. Core calls it at most once successfully: after a resolved
   * `close()`, every call is refused by core with `BackendClosedError` (and `close()` resolves).
   */
  close?(): Promise<void>;
}
