import {
  type Backend,
  type BackendCapabilities,
  type CheckedBackend,
  checkBackend,
  type RunRef,
  type SeriesPoint,
  ValidationError,
} from "@exprun/core";
import { deleteExperiment, deleteRun } from "./deletion.js";
import { createExperiment, getExperimentContext, listExperiments, updateExperiment } from "./experiments.js";
import type { VertexCredentials } from "./inspect.js";
import { addRunChildren, attributeToRun, listRunChildren } from "./links.js";
import { ensureStoreOnce } from "./metadata-store.js";
import { VERTEX_BACKEND_NAME, type VertexBackendOptions } from "./options.js";
import { experimentRecord, incarnationOf } from "./records.js";
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
  requireRun,
  requireRunContext,
  runKey,
  tensorboardRunOf,
  updateRun,
} from "./runs.js";
import { listSeries } from "./series-catalog.js";
import { exportChunks, readLatest } from "./series-reader.js";
import { SeriesWriter } from "./series-writer.js";
import { openSession } from "./session.js";
import { assignTensorboard, lookupTbRun } from "./tensorboard-link.js";

/** A Vertex backend: the `Backend` contract plus the project and location it writes to. */
export interface VertexBackend extends CheckedBackend {
  readonly project: string;
  readonly location: string;
  /** The credentials requests are authenticated with (printable: never shows a key). */
  readonly credentials: VertexCredentials | undefined;
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
  const writer = new SeriesWriter(session, async (ref) => {
    await requireRunContext(session, cache, ref, { fresh: true });
  });
  const ensureStore = ensureStoreOnce(session);

  /**
   * Every public method: any failure that is not an exprun error becomes a BackendError naming the
   * RPC. (The closed state is core's gateway's: a call after `close()` never reaches this code.)
   */
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw toBackendError(what, error);
    }
  };

  /** The run's TensorBoard run; a run known to have none is looked at again (it may have one since). */
  const requireTbRun = async (ref: RunRef): Promise<string | undefined> => {
    const tbRun = await tensorboardRunOf(session, cache, ref);
    if (tbRun) return tbRun;
    cache.tbRuns.delete(runKey(ref));
    return tensorboardRunOf(session, cache, ref);
  };

  /** An RPC-backed stream whose failures, like every method's, become BackendErrors naming the RPC. */
  async function* guarded<T>(what: string, stream: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = stream[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await guard(what, () => iterator.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }

  /**
   * The TensorBoard run a read addresses, after reading the run context again (a read of a deleted
   * creation must not see a newer run's points).
   */
  const readTbRun = async (ref: RunRef): Promise<{ tbRun: string | undefined; owner: RunRef }> => {
    const context = await requireRunContext(session, cache, ref, { fresh: true });
    const owner = { ...ref, incarnation: incarnationOf(context) };
    const known = cache.tbRuns.get(runKey(ref));
    if (known?.tbRun && known.incarnation === owner.incarnation) return { tbRun: known.tbRun, owner };
    const tbRun = await lookupTbRun(session, ref.experiment, ref.run);
    cache.noteTbRun(ref, owner.incarnation, tbRun);
    return { tbRun, owner };
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
        const created = await createExperiment(session, experiment);
        cache.experiments.add(created.name);
        return created;
      }),
    getExperiment: (name) =>
      guard("GetContext (experiment)", async () => {
        const context = await getExperimentContext(session, name);
        if (!context) cache.experiments.delete(name);
        else cache.experiments.add(name);
        return context && experimentRecord(context);
      }),
    listExperiments: (page) => guard("ListContexts (experiments)", () => listExperiments(session, page)),
    updateExperiment: (name, patch) =>
      guard("UpdateContext (experiment)", () => updateExperiment(session, name, patch)),
    deleteExperiment: (name, options) =>
      guard("Delete experiment", async () => {
        cache.experiments.delete(name);
        await deleteExperiment(session, cache, writer, name, options);
      }),

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
        const context = await requireRunContext(session, cache, ref);
        const tbRun = await assignTensorboard(
          session,
          cache.tbExperiments,
          ref.experiment,
          ref.run,
          context,
          tensorboard,
        );
        cache.noteTbRun(ref, incarnationOf(context), tbRun.name);
        // A TensorBoard run made just now has no series: the first flush need not list them.
        if (tbRun.created) writer.noteSeries(tbRun.name, { ...ref, incarnation: incarnationOf(context) }, []);
        return tbRun.name;
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
        await writer.append(tbRun, ref, writes);
      }),
    /**
     * Streams the run's series in creation order (Python's column order), each one page of
     * ExportTensorboardTimeSeriesData (≤ 10,000 points, ordered by step) at a time: the next page is
     * read when the consumer asks for it. `metrics` and `steps` are pushed down (series skipped, a
     * step filter on the export, a series whose `max_step` is below the range not read at all).
     */
    async *readSeries(ref, query) {
      const series = await guard("ListTensorboardTimeSeries", async () => {
        const { tbRun, owner } = await readTbRun(ref);
        if (!tbRun) return [];
        await writer.flushRun(tbRun, owner);
        const all = await listSeries(session, tbRun, { byCreation: true });
        writer.noteSeries(tbRun, owner, all);
        const wanted = query?.metrics ? new Set(query.metrics) : undefined;
        const from = query?.steps?.from;
        return all.filter(
          (s) =>
            (!wanted || wanted.has(s.metric)) &&
            !(from !== undefined && s.maxStep !== undefined && s.maxStep < from),
        );
      });
      for (const s of series) {
        yield* guarded("ExportTensorboardTimeSeriesData", exportChunks(session, s, query?.steps));
      }
    },
    latestTimeSeries: (ref) =>
      guard("BatchReadTensorboardTimeSeriesData", async () => {
        const { tbRun, owner } = await readTbRun(ref);
        if (!tbRun) return {};
        await writer.flushRun(tbRun, owner);
        const series = await listSeries(session, tbRun);
        writer.noteSeries(tbRun, owner, series);
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
    listArtifacts: (query) =>
      guard("ListArtifacts", async () => {
        if (query?.run) await requireRun(session, cache, query.run);
        return listArtifacts(session, query);
      }),
    createExecution: (execution) => guard("CreateExecution", () => createExecution(session, execution)),
    getExecution: (id) => guard("GetExecution", () => getExecution(session, id)),
    listExecutions: (query) =>
      guard("ListExecutions", async () => {
        if (query?.run) await requireRun(session, cache, query.run);
        return listExecutions(session, query);
      }),
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
      // Buffered points first: if they cannot be written, close() rejects and keeps them (and the
      // clients) for a later flush() or close(), as the contract asks.
      await guard("Flush time series", () => writer.flushAll());
      await session.close();
    },
  };
  return checkBackend(vertex) as VertexBackend;
}
