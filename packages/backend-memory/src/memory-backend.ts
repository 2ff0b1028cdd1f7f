import {
  AlreadyExistsError,
  type ArtifactRecord,
  type Backend,
  type ExecutionRecord,
  type ExperimentRecord,
  NotFoundError,
  newArtifactRecord,
  newExecutionRecord,
  newExperimentRecord,
  newRunRecord,
  type Page,
  type PageRequest,
  type ResourceQuery,
  type RunChild,
  type RunRecord,
  type RunRef,
} from "@exprun/core";
import { DEFAULT_SERIES_CHUNK_POINTS, RunSeries } from "./memory-series.js";

export const MEMORY_BACKEND_NAME = "memory";

export interface MemoryBackendOptions {
  /**
   * Largest page `listRuns`/`listExperiments`/… return, so code that pages is exercised in tests.
   * @default 1000
   */
  pageSize?: number;
  /**
   * Most points per chunk `readSeries` yields (each chunk is a copy, so a reader holds at most one
   * chunk of 24 bytes a point beyond what it keeps). Small values exercise chunk boundaries in tests.
   * @default 65536
   */
  seriesChunkPoints?: number;
}

interface StoredRun {
  record: RunRecord;
  /** Columns per metric, in series creation order. */
  series: RunSeries;
  artifacts: Set<string>;
  executions: Set<string>;
  children: Map<string, RunChild>;
}

interface StoredExperiment {
  record: ExperimentRecord;
  runs: Map<string, StoredRun>;
}

/**
 * A store that lives in this process only: every call to `createMemoryBackend()` is a new, empty,
 * isolated store. Made for unit tests of code that logs runs.
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): Backend {
  const maxPage = options.pageSize ?? 1000;
  const chunkPoints = Math.max(1, options.seriesChunkPoints ?? DEFAULT_SERIES_CHUNK_POINTS);
  const experiments = new Map<string, StoredExperiment>();
  const artifacts = new Map<string, ArtifactRecord>();
  const executions = new Map<string, ExecutionRecord>();
  let ids = 0;
  let clock = 0;
  // Strictly increasing timestamps keep creation order observable even within one millisecond.
  const now = () => (clock = Math.max(clock + 1, Date.now()));

  const experimentOf = (name: string): StoredExperiment => {
    const found = experiments.get(name);
    if (!found)
      throw new NotFoundError(`Experiment ${name} was not found.`, { backend: MEMORY_BACKEND_NAME });
    return found;
  };
  const runOf = (ref: RunRef): StoredRun => {
    const found = experimentOf(ref.experiment).runs.get(ref.run);
    if (!found) {
      throw new NotFoundError(`Run ${ref.run} of experiment ${ref.experiment} was not found.`, {
        backend: MEMORY_BACKEND_NAME,
      });
    }
    return found;
  };
  const page = <T>(items: T[], request: PageRequest = {}): Page<T> => {
    const start = request.pageToken ? Number(request.pageToken) : 0;
    const size = Math.max(1, Math.min(request.pageSize ?? maxPage, maxPage));
    const end = start + size;
    return { items: items.slice(start, end), nextPageToken: end < items.length ? String(end) : undefined };
  };
  const inRun = (
    query: ResourceQuery | undefined,
    kind: "artifacts" | "executions",
  ): Set<string> | undefined => (query?.run ? runOf(query.run)[kind] : undefined);

  return {
    name: MEMORY_BACKEND_NAME,
    capabilities: {
      nonFiniteValues: true,
      requiresTensorboard: false,
      bufferedTimeSeries: false,
      multiProcess: false,
    },

    async createExperiment(input) {
      if (experiments.has(input.name)) {
        throw new AlreadyExistsError(`Experiment ${input.name} already exists.`, {
          backend: MEMORY_BACKEND_NAME,
        });
      }
      const record = newExperimentRecord(input, now());
      experiments.set(input.name, { record, runs: new Map() });
      return { ...record };
    },
    async getExperiment(name) {
      const found = experiments.get(name);
      return found ? { ...found.record } : undefined;
    },
    async listExperiments(request) {
      return page(
        [...experiments.values()].map((e) => ({ ...e.record })),
        request,
      );
    },
    async updateExperiment(name, patch) {
      const experiment = experimentOf(name);
      experiment.record = { ...experiment.record, ...definedOnly(patch), updateTime: now() };
      return { ...experiment.record };
    },
    async deleteExperiment(name) {
      experimentOf(name);
      experiments.delete(name);
    },

    async createRun(experiment, input) {
      const runs = experimentOf(experiment).runs;
      if (runs.has(input.name)) {
        throw new AlreadyExistsError(`Run ${input.name} already exists in experiment ${experiment}.`, {
          backend: MEMORY_BACKEND_NAME,
        });
      }
      const record = newRunRecord(experiment, input, now());
      runs.set(input.name, {
        record,
        series: new RunSeries(),
        artifacts: new Set(),
        executions: new Set(),
        children: new Map(),
      });
      return copyRun(record);
    },
    async getRun(ref) {
      const found = experiments.get(ref.experiment)?.runs.get(ref.run);
      return found ? copyRun(found.record) : undefined;
    },
    async listRuns(experiment, request) {
      const runs = [...experimentOf(experiment).runs.values()];
      const result = page(runs, request);
      return {
        nextPageToken: result.nextPageToken,
        items: result.items.map((run) =>
          request?.withLatestTimeSeries
            ? { ...copyRun(run.record), latestTimeSeries: run.series.latest() }
            : copyRun(run.record),
        ),
      };
    },
    async updateRun(ref, patch) {
      const run = runOf(ref);
      const record = run.record;
      if (patch.params) Object.assign(record.params, patch.params);
      if (patch.metrics) Object.assign(record.metrics, patch.metrics);
      if (patch.state) record.state = patch.state;
      record.updateTime = now();
      return copyRun(record);
    },
    async deleteRun(ref) {
      runOf(ref);
      experimentOf(ref.experiment).runs.delete(ref.run);
    },
    async assignRunTensorboard(ref, tensorboard) {
      const run = runOf(ref);
      run.record.tensorboardRun = `${tensorboard}/experiments/${ref.experiment}/runs/${ref.run}`;
      return run.record.tensorboardRun;
    },

    async appendTimeSeries(ref, writes) {
      const series = runOf(ref).series;
      for (const write of writes) series.append(write);
    },
    async *readSeries(ref, query) {
      yield* runOf(ref).series.read(query, chunkPoints);
    },
    async latestTimeSeries(ref) {
      return runOf(ref).series.latest();
    },

    async createArtifact(input) {
      const id = input.id ?? `artifact-${++ids}-${Math.random().toString(36).slice(2, 10)}`;
      if (artifacts.has(id))
        throw new AlreadyExistsError(`Artifact ${id} already exists.`, { backend: MEMORY_BACKEND_NAME });
      const record = newArtifactRecord(input, id, now());
      artifacts.set(id, record);
      return structuredClone(record);
    },
    async getArtifact(id) {
      const found = artifacts.get(id);
      return found ? structuredClone(found) : undefined;
    },
    async listArtifacts(query) {
      return page(matching(artifacts, inRun(query, "artifacts"), query?.schemaTitle), query);
    },
    async createExecution(input) {
      const id = input.id ?? `execution-${++ids}-${Math.random().toString(36).slice(2, 10)}`;
      if (executions.has(id)) {
        throw new AlreadyExistsError(`Execution ${id} already exists.`, { backend: MEMORY_BACKEND_NAME });
      }
      const record = newExecutionRecord(input, id, now());
      executions.set(id, record);
      return structuredClone(record);
    },
    async getExecution(id) {
      const found = executions.get(id);
      return found ? structuredClone(found) : undefined;
    },
    async listExecutions(query) {
      return page(matching(executions, inRun(query, "executions"), query?.schemaTitle), query);
    },
    async updateExecution(id, patch) {
      const record = executionOf(id);
      if (patch.state) record.state = patch.state;
      if (patch.metadata) Object.assign(record.metadata, structuredClone(patch.metadata));
      record.updateTime = now();
      return structuredClone(record);
    },
    async addExecutionEvents(id, events) {
      const record = executionOf(id);
      for (const artifact of [...(events.inputs ?? []), ...(events.outputs ?? [])]) artifactOf(artifact);
      for (const artifact of events.inputs ?? []) {
        if (!record.inputArtifacts.includes(artifact)) record.inputArtifacts.push(artifact);
      }
      for (const artifact of events.outputs ?? []) {
        if (!record.outputArtifacts.includes(artifact)) record.outputArtifacts.push(artifact);
      }
      record.updateTime = now();
      return structuredClone(record);
    },
    async attributeToRun(ref, links) {
      const run = runOf(ref);
      for (const id of links.artifacts ?? []) artifactOf(id);
      for (const id of links.executions ?? []) executionOf(id);
      for (const id of links.artifacts ?? []) run.artifacts.add(id);
      for (const id of links.executions ?? []) run.executions.add(id);
    },
    async addRunChildren(ref, children) {
      const run = runOf(ref);
      for (const child of children) {
        if (!run.children.has(child.resourceName))
          run.children.set(child.resourceName, structuredClone(child));
      }
    },
    async listRunChildren(ref, options) {
      return [...runOf(ref).children.values()]
        .filter((c) => !options?.schemaTitle || c.schemaTitle === options.schemaTitle)
        .map((c) => structuredClone(c));
    },
  };

  function artifactOf(id: string): ArtifactRecord {
    const found = artifacts.get(id);
    if (!found) throw new NotFoundError(`Artifact ${id} was not found.`, { backend: MEMORY_BACKEND_NAME });
    return found;
  }
  function executionOf(id: string): ExecutionRecord {
    const found = executions.get(id);
    if (!found) throw new NotFoundError(`Execution ${id} was not found.`, { backend: MEMORY_BACKEND_NAME });
    return found;
  }
}

/** Copies of the stored resources that are in `only` (when given) and of the schema title (when given). */
function matching<T extends { id: string; schemaTitle: string }>(
  stored: Map<string, T>,
  only: Set<string> | undefined,
  schemaTitle: string | undefined,
): T[] {
  return [...stored.values()]
    .filter((r) => (!only || only.has(r.id)) && (!schemaTitle || r.schemaTitle === schemaTitle))
    .map((r) => structuredClone(r));
}

function copyRun(record: RunRecord): RunRecord {
  return { ...record, params: { ...record.params }, metrics: { ...record.metrics } };
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
