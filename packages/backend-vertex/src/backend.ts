import {
  type Backend,
  type BackendCapabilities,
  type CheckedBackend,
  checkBackend,
  chunksFromPoints,
  type RunRef,
  type SeriesPoint,
  ValidationError,
} from "@exprun/core";
import { deleteExperiment, deleteRun } from "./deletion.js";
import { createExperiment, getExperimentContext, listExperiments, updateExperiment } from "./experiments.js";
import { addRunChildren, attributeToRun, listRunChildren } from "./links.js";
import { ensureStoreOnce } from "./metadata-store.js";
import { VERTEX_BACKEND_NAME, type VertexBackendOptions } from "./options.js";
import { experimentRecord } from "./records.js";
import {
  addExecutionEvents,
  createArtifact,
  createExecution,
  getArtifact,
  getExecution,
  listArtifacts,
  listExecutions,
  updateExecution,
} from "./resources.js";
import { toBackendError } from "./rpc.js";
import { listRuns } from "./run-listing.js";
import {
  createRun,
  getRun,
  RunCache,
  requireRunContext,
  runContextName,
  runKey,
  tensorboardRunOf,
  updateRun,
} from "./runs.js";
import { listSeries } from "./series-catalog.js";
import { exportSeries, readLatest } from "./series-reader.js";
import { SeriesWriter } from "./series-writer.js";
import { openSession } from "./session.js";
import { assignTensorboard } from "./tensorboard-link.js";

/** A Vertex backend: the `Backend` contract plus the project and location it writes to. */
export interface VertexBackend extends CheckedBackend {
  readonly project: string;
  readonly location: string;
}

const CAPABILITIES: BackendCapabilities = Object.freeze({
  nonFiniteValues: false,
  requiresTensorboard: true,
  bufferedTimeSeries: true,
  multiProcess: true,
  // Vertex assigns create/update times itself (OUTPUT_ONLY); tags are Context labels, with their rules.
  keepsTimes: false,
  tagsAsLabels: true,
});

/**
 * A backend on Vertex AI Experiments: Vertex ML Metadata for experiments, runs, params, metrics,
 * artifacts and executions, Vertex TensorBoard for time series, written exactly as the Python SDK
 * writes them (VERTEX.md). Credentials: application default credentials unless `authClient`,
 * `credentials` or `keyFilename` is given.
 */
export function createVertexBackend(options: VertexBackendOptions): VertexBackend {
  if (!options || typeof options.project !== "string" || !options.project) {
    throw new ValidationError(
      'Missing required option "project". Pass createVertexBackend({ project, location }).',
      {
        backend: VERTEX_BACKEND_NAME,
      },
    );
  }
  if (typeof options.location !== "string" || !options.location) {
    throw new ValidationError(
      'Missing required option "location" (e.g. "us-central1"). Pass createVertexBackend({ project, location }).',
      { backend: VERTEX_BACKEND_NAME },
    );
  }
  if (options.metadataStore !== undefined && options.metadataStore !== "default") {
    throw new ValidationError('Only the "default" metadata store is supported, as in the Python SDK.', {
      backend: VERTEX_BACKEND_NAME,
    });
  }
  const session = openSession(options);
  const cache = new RunCache(session);
  const writer = new SeriesWriter(session);
  const ensureStore = ensureStoreOnce(session);
  let closed = false;

  /** Every public method: usable-check, then any failure that is not an exprun error becomes a BackendError. */
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) {
      throw new ValidationError(
        "This Vertex backend was closed. Create a new one with createVertexBackend().",
        {
          backend: VERTEX_BACKEND_NAME,
        },
      );
    }
    try {
      return await fn();
    } catch (error) {
      throw toBackendError(what, error);
    }
  };

  const requireTbRun = async (ref: RunRef): Promise<string | undefined> => {
    const tbRun = await tensorboardRunOf(session, cache, ref);
    if (tbRun) return tbRun;
    await requireRunContext(session, cache, ref);
    return tensorboardRunOf(session, cache, ref, true);
  };

  const vertex: Backend & { project: string; location: string } = {
    name: VERTEX_BACKEND_NAME,
    capabilities: CAPABILITIES,
    project: session.project,
    location: session.location,
    credentials: session.credentials,

    createExperiment: (experiment) =>
      guard("CreateContext (experiment)", async () => {
        await ensureStore();
        return createExperiment(session, experiment);
      }),
    getExperiment: (name) =>
      guard("GetContext (experiment)", async () => {
        const context = await getExperimentContext(session, name);
        return context && experimentRecord(context);
      }),
    listExperiments: (page) => guard("ListContexts (experiments)", () => listExperiments(session, page)),
    updateExperiment: (name, patch) =>
      guard("UpdateContext (experiment)", () => updateExperiment(session, name, patch)),
    deleteExperiment: (name, options) =>
      guard("Delete experiment", () => deleteExperiment(session, cache, writer, name, options)),

    createRun: (experiment, run) =>
      guard("CreateContext (run)", () => createRun(session, cache, experiment, run)),
    getRun: (ref) => guard("GetContext (run)", () => getRun(session, cache, ref)),
    listRuns: (experiment, page) =>
      guard("ListContexts (runs)", async () => {
        if (page?.withLatestTimeSeries) await writer.flushAll();
        return listRuns(session, cache, experiment, page);
      }),
    updateRun: (ref, patch) => guard("UpdateContext (run)", () => updateRun(session, cache, ref, patch)),
    deleteRun: (ref, options) => guard("Delete run", () => deleteRun(session, cache, writer, ref, options)),
    assignRunTensorboard: (ref, tensorboard) =>
      guard("Assign TensorBoard", async () => {
        await requireRunContext(session, cache, ref);
        const tbRun = await assignTensorboard(
          session,
          ref.experiment,
          ref.run,
          runContextName(session, ref),
          tensorboard,
        );
        cache.tbRuns.set(runKey(ref), tbRun);
        return tbRun;
      }),

    appendTimeSeries: (ref, writes) =>
      guard("WriteTensorboardRunData", async () => {
        const tbRun = await requireTbRun(ref);
        if (!tbRun) {
          throw new ValidationError(
            `Please set this experiment run with backing tensorboard resource to use log_time_series_metrics ` +
              `(run ${ref.run} has no TensorBoard run). Call run.assignBackingTensorboard(tensorboard) first.`,
            { backend: VERTEX_BACKEND_NAME },
          );
        }
        await writer.append(tbRun, writes);
      }),
    // adapter: replaced by issue 13
    async *readSeries(ref, query) {
      const series = await guard("ListTensorboardTimeSeries", async () => {
        const tbRun = await requireTbRun(ref);
        if (!tbRun) return [];
        await writer.flushRun(tbRun);
        const wanted = query?.metrics ? new Set(query.metrics) : undefined;
        const all = await listSeries(session, tbRun);
        writer.noteSeries(tbRun, all);
        return all.filter((s) => !wanted || wanted.has(s.metric));
      });
      for (const s of series) {
        yield* chunksFromPoints(
          await guard("ExportTensorboardTimeSeriesData", () => exportSeries(session, s)),
        );
      }
    },
    latestTimeSeries: (ref) =>
      guard("BatchReadTensorboardTimeSeriesData", async () => {
        const tbRun = await requireTbRun(ref);
        if (!tbRun) return {};
        await writer.flushRun(tbRun);
        const series = await listSeries(session, tbRun);
        writer.noteSeries(tbRun, series);
        const latest = await readLatest(session, series);
        const out: Record<string, SeriesPoint> = {};
        for (const s of series) {
          const point = latest.get(s);
          if (point) out[s.metric] = point;
        }
        return out;
      }),

    createArtifact: (artifact) => guard("CreateArtifact", () => createArtifact(session, artifact)),
    getArtifact: (id) => guard("GetArtifact", () => getArtifact(session, id)),
    listArtifacts: (query) => guard("ListArtifacts", () => listArtifacts(session, query)),
    createExecution: (execution) => guard("CreateExecution", () => createExecution(session, execution)),
    getExecution: (id) => guard("GetExecution", () => getExecution(session, id)),
    listExecutions: (query) => guard("ListExecutions", () => listExecutions(session, query)),
    updateExecution: (id, patch) => guard("UpdateExecution", () => updateExecution(session, id, patch)),
    addExecutionEvents: (id, events) =>
      guard("AddExecutionEvents", () => addExecutionEvents(session, id, events)),
    attributeToRun: (ref, links) =>
      guard("AddContextArtifactsAndExecutions", () => attributeToRun(session, cache, ref, links)),
    addRunChildren: (ref, children) =>
      guard("AddContextChildren", () => addRunChildren(session, cache, ref, children)),
    listRunChildren: (ref, options) =>
      guard("ListContexts (run children)", () => listRunChildren(session, cache, ref, options)),

    flush: () => guard("Flush time series", () => writer.flushAll()),
    async close() {
      if (closed) return;
      try {
        await guard("Flush time series", () => writer.flushAll());
      } finally {
        closed = true;
        await session.close();
      }
    },
  };
  return checkBackend(vertex) as VertexBackend;
}
