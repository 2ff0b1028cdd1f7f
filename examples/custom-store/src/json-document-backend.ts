/**
 * A custom exprun store written only against the public `Backend` interface: the whole store is one
 * JSON document on disk, rewritten atomically (temp file + rename) after every acknowledged write.
 * Time series are buffered and written at `flush()`/`close()` (declared in `capabilities`).
 *
 * One process at a time: it declares `multiProcess: false`. Copy it as a starting point for yours.
 */
import { randomUUID } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import {
  AlreadyExistsError,
  type ArtifactRecord,
  applyTags,
  type CheckedBackend,
  checkBackend,
  chunksFromPoints,
  type ExecutionRecord,
  type ExperimentRecord,
  experimentNotFound,
  latestPoints,
  newArtifactRecord,
  newExecutionRecord,
  newExperimentRecord,
  newIncarnation,
  newRunRecord,
  type Page,
  type PageRequest,
  parseJson,
  type RunChild,
  type RunRecord,
  type RunRef,
  resourceNotFound,
  runNotFound,
  type SeriesPoint,
  stringifyJson,
  tensorboardRunName,
} from "@exprun/core";

const NAME = "json-document";

interface Document {
  experiments: Record<string, ExperimentRecord>;
  runs: Record<string, RunRecord & { artifacts: string[]; executions: string[]; children: RunChild[] }>;
  /** Per run and incarnation: `experiment/run/incarnation`, so points of a deleted run never reach its successor. */
  points: Record<string, SeriesPoint[]>;
  artifacts: Record<string, ArtifactRecord>;
  executions: Record<string, ExecutionRecord>;
}

export async function createJsonDocumentBackend(options: { path: string }): Promise<CheckedBackend> {
  const doc: Document = await readFile(options.path, "utf8").then(
    (text) => parseJson<Document>(text),
    () => ({ experiments: {}, runs: {}, points: {}, artifacts: {}, executions: {} }),
  );
  let dirty = false;
  let saving: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  // Saves are serialised, and writes made while one is running share the next save: each write's
  // promise resolves only after a save that started after the write.
  const save = (): Promise<void> => {
    queued ??= saving.then(async () => {
      queued = undefined;
      dirty = false;
      const temp = `${options.path}.${randomUUID()}.tmp`;
      await writeFile(temp, stringifyJson(doc));
      await rename(temp, options.path);
    });
    saving = queued;
    return queued;
  };
  const key = (ref: RunRef) => `${ref.experiment}/${ref.run}`;
  // A ref with an incarnation addresses that creation only: a run deleted and re-created is another run.
  const findRun = (ref: RunRef) => {
    const run = doc.runs[key(ref)];
    return run && (ref.incarnation === undefined || run.incarnation === ref.incarnation) ? run : undefined;
  };
  const runOf = (ref: RunRef) => {
    const run = findRun(ref);
    if (!run) throw runNotFound(ref, { backend: NAME });
    return run;
  };
  const pointsKey = (run: RunRecord) => `${run.experiment}/${run.name}/${run.incarnation}`;
  const experimentOf = (name: string) => {
    const experiment = doc.experiments[name];
    if (!experiment) throw experimentNotFound(name, { backend: NAME });
    return experiment;
  };
  const copy = <T>(value: T): T => structuredClone(value);
  const publicRun = ({ artifacts: _a, executions: _e, children: _c, ...run }: Document["runs"][string]) =>
    copy(run);
  const page = <T>(items: T[], request: PageRequest = {}): Page<T> => {
    const start = Number(request.pageToken ?? 0);
    const end = start + (request.pageSize ?? 500);
    return { items: items.slice(start, end), nextPageToken: end < items.length ? String(end) : undefined };
  };
  const runsOf = (experiment: string) => Object.values(doc.runs).filter((r) => r.experiment === experiment);
  const removeRun = (ref: RunRef) => {
    const run = doc.runs[key(ref)];
    if (run) delete doc.points[pointsKey(run)];
    delete doc.runs[key(ref)];
  };

  // checkBackend: core's gateway checks every argument before these methods see it, owns the closed
  // state, and derives what is left out here.
  return checkBackend({
    name: NAME,
    capabilities: {
      nonFiniteValues: true,
      requiresTensorboard: false,
      bufferedTimeSeries: true,
      multiProcess: false,
      keepsTimes: true,
      tagsAsLabels: false,
    },

    async createExperiment(input) {
      if (doc.experiments[input.name])
        throw new AlreadyExistsError(`Experiment ${input.name} exists.`, { backend: NAME });
      doc.experiments[input.name] = newExperimentRecord(input, Date.now());
      await save();
      return copy(doc.experiments[input.name]!);
    },
    async getExperiment(name) {
      return doc.experiments[name] && copy(doc.experiments[name]);
    },
    async listExperiments(request) {
      return page(Object.values(doc.experiments).map(copy), request);
    },
    async updateExperiment(name, patch) {
      const experiment = experimentOf(name);
      if (patch.description !== undefined) experiment.description = patch.description;
      if (patch.backingTensorboard !== undefined) experiment.backingTensorboard = patch.backingTensorboard;
      experiment.updateTime = Date.now();
      await save();
      return copy(experiment);
    },
    async deleteExperiment(name) {
      experimentOf(name);
      for (const run of runsOf(name)) removeRun({ experiment: name, run: run.name });
      delete doc.experiments[name];
      await save();
    },

    async createRun(experiment, input) {
      experimentOf(experiment);
      const ref = { experiment, run: input.name };
      if (doc.runs[key(ref)]) throw new AlreadyExistsError(`Run ${input.name} exists.`, { backend: NAME });
      doc.runs[key(ref)] = {
        ...newRunRecord(experiment, input, Date.now(), newIncarnation()),
        artifacts: [],
        executions: [],
        children: [],
      };
      await save();
      return publicRun(doc.runs[key(ref)]!);
    },
    async getRun(ref) {
      const run = findRun(ref);
      return run && publicRun(run);
    },
    async listRuns(experiment, request) {
      experimentOf(experiment);
      const result = page(runsOf(experiment), request);
      return {
        nextPageToken: result.nextPageToken,
        items: result.items.map((run) => ({
          ...publicRun(run),
          ...(request?.withLatestTimeSeries
            ? { latestTimeSeries: latestPoints(doc.points[pointsKey(run)] ?? []) }
            : {}),
        })),
      };
    },
    async updateRun(ref, patch) {
      const run = runOf(ref);
      Object.assign(run.params, patch.params);
      Object.assign(run.metrics, patch.metrics);
      if (patch.state) run.state = patch.state;
      if (patch.tags) run.tags = applyTags(run.tags, patch.tags);
      if (patch.description !== undefined) run.description = patch.description;
      run.updateTime = patch.updateTime ?? Date.now();
      await save();
      return publicRun(run);
    },
    async deleteRun(ref) {
      runOf(ref);
      removeRun(ref);
      await save();
    },
    async assignRunTensorboard(ref, tensorboard) {
      const run = runOf(ref);
      run.tensorboardRun = tensorboardRunName(tensorboard, ref);
      await save();
      return run.tensorboardRun;
    },

    async appendTimeSeries(ref, writes) {
      const run = runOf(ref);
      const points = doc.points[pointsKey(run)] ?? [];
      doc.points[pointsKey(run)] = points;
      for (const { step, wallTime, values } of writes) {
        for (const [metric, value] of Object.entries(values)) points.push({ metric, step, wallTime, value });
      }
      dirty = true;
    },
    // No latestTimeSeries: core derives it from this stream.
    async *readSeries(ref, query) {
      // The whole document is in memory already, so chunks of its points are this store's stream
      // (a store on real storage reads and yields a bounded slice at a time).
      const points = doc.points[pointsKey(runOf(ref))] ?? [];
      const wanted = query?.metrics ? new Set(query.metrics) : undefined;
      yield* chunksFromPoints(wanted ? points.filter((p) => wanted.has(p.metric)) : points);
    },

    async createArtifact(input) {
      const id = input.id ?? randomUUID();
      if (doc.artifacts[id]) throw new AlreadyExistsError(`Artifact ${id} exists.`, { backend: NAME });
      doc.artifacts[id] = newArtifactRecord(input, id, Date.now());
      await save();
      return copy(doc.artifacts[id]!);
    },
    async getArtifact(id) {
      return doc.artifacts[id] && copy(doc.artifacts[id]);
    },
    async listArtifacts(query) {
      const only = query?.run ? runOf(query.run).artifacts : undefined;
      const items = Object.values(doc.artifacts).filter(
        (a) => (!only || only.includes(a.id)) && (!query?.schemaTitle || a.schemaTitle === query.schemaTitle),
      );
      return page(items.map(copy), query);
    },
    async createExecution(input) {
      const id = input.id ?? randomUUID();
      if (doc.executions[id]) throw new AlreadyExistsError(`Execution ${id} exists.`, { backend: NAME });
      doc.executions[id] = newExecutionRecord(input, id, Date.now());
      await save();
      return copy(doc.executions[id]!);
    },
    async getExecution(id) {
      return doc.executions[id] && copy(doc.executions[id]);
    },
    async listExecutions(query) {
      const only = query?.run ? runOf(query.run).executions : undefined;
      const items = Object.values(doc.executions).filter(
        (e) => (!only || only.includes(e.id)) && (!query?.schemaTitle || e.schemaTitle === query.schemaTitle),
      );
      return page(items.map(copy), query);
    },
    async updateExecution(id, patch) {
      const execution = executionOf(id);
      if (patch.state) execution.state = patch.state;
      Object.assign(execution.metadata, copy(patch.metadata ?? {}));
      await save();
      return copy(execution);
    },
    async addExecutionEvents(id, events) {
      const execution = executionOf(id);
      for (const a of [...(events.inputs ?? []), ...(events.outputs ?? [])]) artifactOf(a);
      for (const a of events.inputs ?? [])
        if (!execution.inputArtifacts.includes(a)) execution.inputArtifacts.push(a);
      for (const a of events.outputs ?? [])
        if (!execution.outputArtifacts.includes(a)) execution.outputArtifacts.push(a);
      await save();
      return copy(execution);
    },
    async attributeToRun(ref, links) {
      const run = runOf(ref);
      links.artifacts?.forEach(artifactOf);
      links.executions?.forEach(executionOf);
      for (const a of links.artifacts ?? []) if (!run.artifacts.includes(a)) run.artifacts.push(a);
      for (const e of links.executions ?? []) if (!run.executions.includes(e)) run.executions.push(e);
      await save();
    },
    async addRunChildren(ref, children) {
      const run = runOf(ref);
      for (const child of children) {
        if (!run.children.some((c) => c.resourceName === child.resourceName)) run.children.push(copy(child));
      }
      await save();
    },
    async listRunChildren(ref, options) {
      return copy(
        runOf(ref).children.filter((c) => !options?.schemaTitle || c.schemaTitle === options.schemaTitle),
      );
    },

    flush,
    close: flush,
  });

  async function flush(): Promise<void> {
    if (dirty) await save();
    await saving;
  }
  function artifactOf(id: string): ArtifactRecord {
    const artifact = doc.artifacts[id];
    if (!artifact) throw resourceNotFound("Artifact", id, { backend: NAME });
    return artifact;
  }
  function executionOf(id: string): ExecutionRecord {
    const execution = doc.executions[id];
    if (!execution) throw resourceNotFound("Execution", id, { backend: NAME });
    return execution;
  }
}
