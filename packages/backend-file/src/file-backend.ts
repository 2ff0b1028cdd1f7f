import path from "node:path";
import type {
  Backend,
  BackendCapabilities,
  Checked,
  RunRef,
  SeriesChunk,
  SeriesPoint,
  SeriesQuery,
} from "@exprun/core";
import { checkBackend, isLaterPoint } from "@exprun/core";
import { Experiments } from "./experiments.js";
import { Resources } from "./resources.js";
import { Runs } from "./runs.js";

import { SeriesStore } from "./series-store.js";
import { FileStore } from "./store.js";

/** The backend's name in messages, and the scheme of `file:<path>` URIs. */
export const FILE_BACKEND_NAME = "file";

export interface FileBackendOptions {
  /**
   * The store directory; created (with its parents) on first use. Relative paths resolve against the
   * working directory when the backend is created.
   * @default process.env.EXPRUN_HOME, else "./.exprun"
   */
  root?: string;
  /**
   * fsync every acknowledged metadata write before its promise resolves, and time series at `flush()`,
   * at a run's state change (`endRun`) and at `close()`. `false` keeps every guarantee against process
   * crashes (SIGKILL) but not against power loss or a kernel crash; it saves ~0.5 ms per write on SSDs.
   * @default true
   */
  fsync?: boolean;
  /**
   * Time-series bytes buffered per run before they are appended to its file (without fsync). Larger
   * buffers mean fewer, bigger writes; the cost is memory and what a crash before `flush()` loses.
   * @default 4194304 (4 MiB)
   */
  timeSeriesBufferBytes?: number;
  /**
   * Buffered time series are appended (without fsync) at least this often, so other processes see them;
   * 0 disables the timer (the timer never keeps the process alive).
   * @default 1000
   */
  timeSeriesFlushIntervalMs?: number;
}

/** The store before core's gateway: the contract, plus the store path. */
interface FileStoreBackend extends Backend {
  /** Absolute path of the store directory. */
  readonly root: string;
}

/** A file backend: a checked `Backend` (core's gateway), plus the resolved store path. */
export type FileBackend = Checked<FileStoreBackend>;

const CAPABILITIES: BackendCapabilities = Object.freeze({
  nonFiniteValues: true,
  requiresTensorboard: false,
  bufferedTimeSeries: true,
  multiProcess: true,
  keepsTimes: true,
  tagsAsLabels: false,
});

/**
 * exprun's embedded default store: a directory of JSON and JSON Lines files (layout in the README),
 * safe for any number of processes writing at once and for writers killed at any instant.
 */
export function createFileBackend(options: FileBackendOptions = {}): FileBackend {
  const root = path.resolve(options.root ?? (process.env.EXPRUN_HOME || ".exprun"));
  const store = new FileStore(root, options.fsync ?? true);
  const series = new SeriesStore(store, {
    bufferBytes: options.timeSeriesBufferBytes ?? 4 << 20,
    flushIntervalMs: options.timeSeriesFlushIntervalMs ?? 1000,
  });
  const resources = new Resources(store);
  const experiments = new Experiments(store, series);
  const runs = new Runs(store, series, resources);

  async function* readSeries(ref: RunRef, query?: SeriesQuery): AsyncGenerator<SeriesChunk> {
    const run = await store.requireRun(ref);
    yield* series.read(ref, run.uid, query, run.durable);
  }

  /** From the run's `latest` records and this backend's unrecorded points: no series read. */
  async function latest(ref: RunRef): Promise<Record<string, SeriesPoint>> {
    const run = await store.requireRun(ref);
    const out: Record<string, SeriesPoint> = {};
    for (const metric in run.latest) out[metric] = { ...run.latest[metric]! };
    const pending = series.pendingLatest(ref.experiment, ref.run, run.uid);
    for (const metric in pending) {
      if (isLaterPoint(out[metric], pending[metric]!)) out[metric] = { ...pending[metric]! };
    }
    return out;
  }

  const backend: FileStoreBackend = {
    name: FILE_BACKEND_NAME,
    capabilities: CAPABILITIES,
    root,

    createExperiment: (experiment) => experiments.create(experiment),
    getExperiment: (name) => experiments.get(name),
    listExperiments: (page) => experiments.list(page),
    updateExperiment: (name, patch) => experiments.update(name, patch),
    deleteExperiment: (name) => experiments.delete(name),

    createRun: (experiment, run) => runs.create(experiment, run),
    getRun: (ref) => runs.get(ref),
    listRuns: (experiment, page) => runs.list(experiment, page),
    updateRun: (ref, patch) => runs.update(ref, patch),
    deleteRun: (ref) => runs.delete(ref),
    assignRunTensorboard: (ref, tensorboard) => runs.assignTensorboard(ref, tensorboard),

    appendTimeSeries: (ref, writes) => series.append(ref, writes),
    readSeries,
    latestTimeSeries: latest,

    createArtifact: (artifact) => resources.createArtifact(artifact),
    getArtifact: (id) => resources.getArtifact(id),
    listArtifacts: (query) => resources.listArtifacts(query),
    createExecution: (execution) => resources.createExecution(execution),
    getExecution: (id) => resources.getExecution(id),
    listExecutions: (query) => resources.listExecutions(query),
    updateExecution: (id, patch) => resources.updateExecution(id, patch),
    addExecutionEvents: (id, events) => resources.addExecutionEvents(id, events),
    attributeToRun: (ref, links) => runs.attribute(ref, links),
    addRunChildren: (ref, children) => runs.addChildren(ref, children),
    listRunChildren: (ref, opts) => runs.listChildren(ref, opts?.schemaTitle),

    flush: () => series.flushAll(true),
    close: () => series.close(),
  };
  return checkBackend(backend);
}
