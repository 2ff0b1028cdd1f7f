/**
 * A custom exprun store written only against the public `Backend` interface: the whole store is one
 * JSON document on disk, rewritten atomically (temp file + rename) by every acknowledged write. Time
 * series are kept in memory until `flush()`/`close()` (declared in `capabilities`). Copy it as the
 * starting point for yours; besides the methods, three things here are what a store author must get
 * right, and what the conformance suite's backend-direct groups check:
 *
 * 1. Every backend object on a store acts on the store's current state, never on a private copy that
 *    it writes back whole (that is how two objects overwrite each other's acknowledged writes). Here
 *    every object opened on one path in this process shares one in-memory document (`openDocuments`),
 *    read from disk when the first object opens it and again after the last one closed. A store on a
 *    database or a service gets this from the service; a store of files that several processes write
 *    must re-read and merge instead (under a lock file, or append-only logs folded on read as
 *    `@exprun/backend-file` does).
 * 2. One process at a time (`capabilities.multiProcess: false`): a document changed on disk by
 *    anyone else is refused with a `BackendError` naming the file, never overwritten.
 * 3. A failed save fails the writes that waited for it and leaves the document marked unsaved, so the
 *    next save writes everything again: a full disk never poisons later saves, `flush()` rejects for
 *    as long as it lasts, and nothing acknowledged is lost when it ends.
 */
import { randomUUID } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  AlreadyExistsError,
  type ArtifactRecord,
  applyTags,
  BackendError,
  type CheckedBackend,
  checkBackend,
  chunksFromPoints,
  type ExecutionRecord,
  type ExperimentRecord,
  experimentNotFound,
  isExprunError,
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

/** The document file and its one in-memory copy in this process, shared by every backend object on it. */
class DocumentFile {
  #saving: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #unsaved = false;

  private constructor(
    readonly file: string,
    readonly doc: Document,
    /** The file as this process last read or wrote it, to notice anyone else writing it. */
    private stamp: string | undefined,
  ) {}

  static async load(file: string): Promise<DocumentFile> {
    const stamp = await stampOf(file);
    if (stamp === undefined)
      return new DocumentFile(
        file,
        { experiments: {}, runs: {}, points: {}, artifacts: {}, executions: {} },
        stamp,
      );
    const text = await readFile(file, "utf8");
    try {
      return new DocumentFile(file, parseJson<Document>(text), stamp);
    } catch (error) {
      throw new BackendError(
        `${file} is not a readable store document (${(error as Error).message}). Restore it from a backup, or move it away to start an empty store.`,
        { backend: NAME, cause: error },
      );
    }
  }

  /** Time series changed: the next `save()` or `flush()` writes them. */
  touch(): void {
    this.#unsaved = true;
  }

  /**
   * Resolves after a save that started after this call. Saves run one at a time, and the writes made
   * while one runs share the next. A failed save does not fail the next one (`catch`).
   */
  save(): Promise<void> {
    this.#queued ??= this.#saving
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#write();
      });
    this.#saving = this.#queued;
    return this.#queued;
  }

  /** Writes what is unsaved (points, or writes whose save failed), else waits for the save under way. */
  flush(): Promise<void> {
    return this.#unsaved ? this.save() : this.#saving;
  }

  async #write(): Promise<void> {
    this.#unsaved = false;
    const temp = `${this.file}.${randomUUID()}.tmp`;
    try {
      if ((await stampOf(this.file)) !== this.stamp)
        throw new BackendError(
          `${this.file} was changed by another process since this one read it. The ${NAME} store is for one process at a time (capabilities.multiProcess is false), so nothing was written over it: close the other process, then open the store again.`,
          { backend: NAME },
        );
      await writeFile(temp, stringifyJson(this.doc));
      await rename(temp, this.file);
      this.stamp = await stampOf(this.file);
    } catch (error) {
      this.#unsaved = true;
      await rm(temp, { force: true });
      if (isExprunError(error)) throw error;
      throw new BackendError(
        `Saving ${this.file} failed (${(error as Error).message}). The writes are kept in memory: the next flush() saves them again once the disk accepts writes.`,
        { backend: NAME, cause: error },
      );
    }
  }
}

/** Inode, modification time and size: a rewrite by anyone else (temp file + rename, or in place) changes it. */
async function stampOf(file: string): Promise<string | undefined> {
  const stats = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  return stats && `${stats.ino}:${stats.mtimeMs}:${stats.size}`;
}

/** The documents open in this process, by absolute path, with how many backend objects use each. */
const openDocuments = new Map<string, { users: number; document: Promise<DocumentFile> }>();

export async function createJsonDocumentBackend(options: { path: string }): Promise<CheckedBackend> {
  const file = path.resolve(options.path);
  const entry = openDocuments.get(file) ?? { users: 0, document: DocumentFile.load(file) };
  openDocuments.set(file, entry);
  entry.users++; // counted before awaiting, so a close meanwhile cannot drop the entry under us
  const release = () => {
    if (--entry.users === 0) openDocuments.delete(file);
  };
  const store = await entry.document.catch((error: unknown) => {
    release();
    throw error;
  });
  const { doc } = store;
  const save = () => store.save();
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
      bufferedTimeSeries: true, // points reach the file at the next save or flush()
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
            ? { latestTimeSeries: copy(latestPoints(doc.points[pointsKey(run)] ?? [])) }
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
      store.touch(); // kept in memory; written by the next save or flush()
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

    flush: () => store.flush(),
    // Releases this object's share of the document only once everything is saved: a close() that
    // fails leaves the backend open (core's gateway), and a later one retries.
    async close() {
      await store.flush();
      release();
    },
  });

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
