import type { RunState, SeriesChunk, Value } from "@exprun/core";

/** The trackers exprun imports from. */
export type SourceKind = "mlflow" | "tensorboard" | "wandb";

/**
 * Points of one metric, in columns: core's `SeriesChunk` (the shape every exprun series read uses),
 * so an importer's chunks can be written as they are.
 */
export type { SeriesChunk } from "@exprun/core";

/** An experiment as it will be named in exprun, with where it came from. */
export interface ImportedExperiment {
  /** The exprun experiment name (valid: lowercase letters, digits and hyphens, ≥ 4 characters). */
  name: string;
  /** The name in the source ("Test Sktime", a W&B project, the `--experiment` given). */
  sourceName: string;
  /** The source's id for it (an MLflow experiment id, a W&B entity/project), or the name. */
  sourceId: string;
  /** The experiment's description in the source (MLflow's `mlflow.note.content` experiment tag), or "". */
  description: string;
}

/**
 * One run read from a source, already mapped to exprun's shapes. Everything but the time series
 * is in memory; the series are streamed by {@link ImportedRun.series}.
 */
export interface ImportedRun {
  experiment: ImportedExperiment;
  /** The exprun run name: valid and unique within its experiment for this import. */
  name: string;
  /** The run's identity in the source: an MLflow run id, a TensorBoard run folder, a W&B run id. */
  sourceId: string;
  /** The run's name as the source shows it. */
  sourceName: string;
  /** Where in the source it was read (a folder or file path, or `mlflow.db#<run id>`). */
  location: string;
  state: RunState;
  /** `system.ExperimentRun`: every importer writes exprun's own run type. */
  runType: string;
  params: Record<string, Value>;
  /** Summary metrics: the latest point of each series, plus what the source keeps as a summary. */
  metrics: Record<string, Value>;
  tags: Record<string, string>;
  /** The run's note (MLflow's `mlflow.note.content`, W&B's notes), or "". */
  description: string;
  /** When the run was created / last changed, in ms since the epoch; absent when the source does not say. */
  createTime?: number;
  updateTime?: number;
  /** Series keys in the order they were first seen (exprun's column order). */
  seriesKeys: string[];
  /**
   * Every point exactly once per (metric, step): of several points at one step the one with the
   * latest wall time is kept (on a tie, the one read last). Chunks of one metric come together, in
   * step order, metrics in {@link ImportedRun.seriesKeys} order. Can be iterated more than once.
   */
  series(): AsyncIterable<SeriesChunk>;
  /** Releases what reading the run holds (temporary files of very long series). Safe to call twice. */
  close(): Promise<void>;
}

/** A source opened for import: runs are read one at a time, so memory does not grow with the source. */
export interface ImportSource {
  kind: SourceKind;
  /** The path given (absolute). */
  path: string;
  /** How many runs will be offered (for progress); runs skipped while reading are not yielded. */
  runCount: number;
  /** Reads and yields the runs, one at a time. The previous run is closed when the next is read. */
  runs(): AsyncIterable<ImportedRun>;
  /** Warnings and skipped items found so far (filled while `runs()` is iterated). */
  report: ImportReport;
  /** Releases the source (the in-memory database of an `mlflow.db`). Safe to call twice. */
  close(): Promise<void>;
}

/** What a source held that has no place in exprun, and what could not be read. */
export interface ImportReport {
  /** Items not imported, by kind (`images`, `deletedRuns`, `artifacts`, …), with counts. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Human-readable warnings, each naming the file (and byte offset or line) concerned. */
  readonly warnings: readonly string[];
  skip(kind: string, count?: number): void;
  warn(message: string): void;
}
