import { Clock } from "./clock.js";
import { Collection } from "./collection.js";
import type { ProjectNumbers } from "./names.js";
import { TensorboardState } from "./tensorboard-state.js";
import type { Artifact, Context, Event, Execution, MetadataStore, PipelineJob } from "./types.js";

/**
 * A context to seed: `name` is required, every other field has the service's default.
 * `parentContexts`, when given, links the context to those parents (as AddContextChildren would).
 */
export type ContextSeed = Partial<Context> & { name: string };
export type ArtifactSeed = Partial<Artifact> & { name: string };
export type ExecutionSeed = Partial<Execution> & { name: string };
export type MetadataStoreSeed = Partial<MetadataStore> & { name: string };
export type PipelineJobSeed = Partial<PipelineJob> & { name: string };
type MetadataRecord = Context | Artifact | Execution;

/**
 * The fake's whole state, readable and seedable by tests. Every method accepts names with a
 * project id or number; resources are stored and returned under the project number (as the real
 * service returns them). Reads return copies; output-only fields (`parentContexts`, `runCount`,
 * time-series `metadata`) are computed on read.
 */
export class VertexStore extends TensorboardState {
  readonly #metadataStores = new Collection<MetadataStore>();
  readonly #contexts = new Collection<Context>();
  readonly #artifacts = new Collection<Artifact>();
  readonly #executions = new Collection<Execution>();
  /** child context → its parents, in the order they were added. */
  readonly #parents = new Map<string, Set<string>>();
  /** context → attributed artifacts / associated executions. */
  readonly #contextArtifacts = new Map<string, Set<string>>();
  readonly #contextExecutions = new Map<string, Set<string>>();
  #events: Event[] = [];
  readonly #pipelineJobs = new Collection<PipelineJob>();

  constructor(names: ProjectNumbers, clock: Clock = new Clock()) {
    super(names, clock);
  }

  /** Empties the store (every resource, link and point). */
  override clear(): void {
    super.clear();
    this.#metadataStores.clear();
    this.#contexts.clear();
    this.#artifacts.clear();
    this.#executions.clear();
    this.#parents.clear();
    this.#contextArtifacts.clear();
    this.#contextExecutions.clear();
    this.#events = [];
    this.#pipelineJobs.clear();
  }

  // ---- metadata stores ----

  getMetadataStore(name: string): MetadataStore | undefined {
    return this.#metadataStores.get(this.canonical(name));
  }

  listMetadataStores(parent?: string): MetadataStore[] {
    return this.#list(this.#metadataStores, parent, "metadataStores");
  }

  putMetadataStore(seed: MetadataStoreSeed): MetadataStore {
    const now = this.clock.now();
    const store: MetadataStore = { createTime: now, updateTime: now, description: "", ...seed };
    store.name = this.canonical(seed.name);
    this.#metadataStores.set(structuredClone(store));
    return structuredClone(store);
  }

  // ---- contexts ----

  getContext(name: string): Context | undefined {
    const context = this.#contexts.get(this.canonical(name));
    if (context) context.parentContexts = this.contextParents(context.name);
    return context;
  }

  /** Every context, or those directly under one metadata store, in creation order. */
  listContexts(parent?: string): Context[] {
    return this.#list(this.#contexts, parent, "contexts").map((context) => {
      context.parentContexts = this.contextParents(context.name);
      return context;
    });
  }

  /**
   * Stores a context as given (replacing one of the same name); fills the fields it lacks. Links
   * it to the `parentContexts` the seed lists (existing links are kept).
   */
  putContext(seed: ContextSeed): Context {
    const now = this.clock.now();
    const context: Context = {
      displayName: "",
      etag: this.clock.nextEtag(),
      labels: {},
      createTime: now,
      updateTime: now,
      schemaTitle: "",
      schemaVersion: "",
      metadata: { fields: {} },
      description: "",
      ...seed,
      parentContexts: [],
      name: this.canonical(seed.name),
    };
    this.#contexts.set(structuredClone(context));
    for (const parent of seed.parentContexts ?? []) this.addContextChildren(parent, [context.name]);
    return this.getContext(context.name)!;
  }

  /** Removes a context and every link to and from it. Returns whether it existed. */
  deleteContext(name: string): boolean {
    const key = this.canonical(name);
    this.#parents.delete(key);
    for (const parents of this.#parents.values()) parents.delete(key);
    this.#contextArtifacts.delete(key);
    this.#contextExecutions.delete(key);
    return this.#contexts.delete(key);
  }

  contextParents(name: string): string[] {
    return [...(this.#parents.get(this.canonical(name)) ?? [])];
  }

  /** @internal Parents of a context already named canonically (for filters; no copy of the name). */
  parentsOfCanonical(name: string): string[] {
    const parents = this.#parents.get(name);
    return parents ? [...parents] : [];
  }

  contextChildren(name: string): string[] {
    const key = this.canonical(name);
    const children: string[] = [];
    for (const [child, parents] of this.#parents) if (parents.has(key)) children.push(child);
    return children;
  }

  /** Links children to a parent (no checks; the RPC handler checks). Already-linked children are skipped. */
  addContextChildren(parent: string, children: string[]): void {
    const key = this.canonical(parent);
    for (const child of children.map((c) => this.canonical(c))) {
      const parents = this.#parents.get(child) ?? new Set<string>();
      parents.add(key);
      this.#parents.set(child, parents);
    }
  }

  removeContextChildren(parent: string, children: string[]): void {
    const key = this.canonical(parent);
    for (const child of children) this.#parents.get(this.canonical(child))?.delete(key);
  }

  // ---- artifacts ----

  getArtifact(name: string): Artifact | undefined {
    return this.#artifacts.get(this.canonical(name));
  }

  listArtifacts(parent?: string): Artifact[] {
    return this.#list(this.#artifacts, parent, "artifacts");
  }

  putArtifact(seed: ArtifactSeed): Artifact {
    const now = this.clock.now();
    const artifact: Artifact = {
      displayName: "",
      uri: "",
      etag: this.clock.nextEtag(),
      labels: {},
      createTime: now,
      updateTime: now,
      state: "STATE_UNSPECIFIED",
      schemaTitle: "",
      schemaVersion: "",
      metadata: { fields: {} },
      description: "",
      ...seed,
      name: this.canonical(seed.name),
    };
    this.#artifacts.set(structuredClone(artifact));
    return artifact;
  }

  deleteArtifact(name: string): boolean {
    const key = this.canonical(name);
    for (const set of this.#contextArtifacts.values()) set.delete(key);
    this.#events = this.#events.filter((event) => event.artifact !== key);
    return this.#artifacts.delete(key);
  }

  // ---- executions ----

  getExecution(name: string): Execution | undefined {
    return this.#executions.get(this.canonical(name));
  }

  listExecutions(parent?: string): Execution[] {
    return this.#list(this.#executions, parent, "executions");
  }

  putExecution(seed: ExecutionSeed): Execution {
    const now = this.clock.now();
    const execution: Execution = {
      displayName: "",
      state: "STATE_UNSPECIFIED",
      etag: this.clock.nextEtag(),
      labels: {},
      createTime: now,
      updateTime: now,
      schemaTitle: "",
      schemaVersion: "",
      metadata: { fields: {} },
      description: "",
      ...seed,
      name: this.canonical(seed.name),
    };
    this.#executions.set(structuredClone(execution));
    return execution;
  }

  deleteExecution(name: string): boolean {
    const key = this.canonical(name);
    for (const set of this.#contextExecutions.values()) set.delete(key);
    this.#events = this.#events.filter((event) => event.execution !== key);
    return this.#executions.delete(key);
  }

  // ---- attributions, associations, events ----

  /** Artifacts attributed to a context, in the order they were added. */
  contextArtifacts(context: string): string[] {
    return [...(this.#contextArtifacts.get(this.canonical(context)) ?? [])];
  }

  /** Executions associated with a context, in the order they were added. */
  contextExecutions(context: string): string[] {
    return [...(this.#contextExecutions.get(this.canonical(context)) ?? [])];
  }

  /** Attributes artifacts and associates executions (no checks; already-present items are skipped). */
  addContextArtifactsAndExecutions(context: string, artifacts: string[], executions: string[]): void {
    const key = this.canonical(context);
    const a = this.#contextArtifacts.get(key) ?? new Set<string>();
    const e = this.#contextExecutions.get(key) ?? new Set<string>();
    for (const name of artifacts) a.add(this.canonical(name));
    for (const name of executions) e.add(this.canonical(name));
    this.#contextArtifacts.set(key, a);
    this.#contextExecutions.set(key, e);
  }

  /** Events of one execution, or every event. */
  listEvents(execution?: string): Event[] {
    const key = execution === undefined ? undefined : this.canonical(execution);
    return structuredClone(this.#events.filter((event) => key === undefined || event.execution === key));
  }

  /** Adds events (an event equal in artifact, execution and type to a stored one is skipped). */
  addEvents(events: Event[]): void {
    for (const event of events) {
      const e = {
        ...event,
        artifact: this.canonical(event.artifact),
        execution: this.canonical(event.execution),
      };
      const same = this.#events.some(
        (x) => x.artifact === e.artifact && x.execution === e.execution && x.type === e.type,
      );
      if (!same) this.#events.push(structuredClone(e));
    }
  }

  // ---- pipeline jobs ----

  getPipelineJob(name: string): PipelineJob | undefined {
    return this.#pipelineJobs.get(this.canonical(name));
  }

  /** Every pipeline job, or those of one location (`projects/{p}/locations/{l}`), in creation order. */
  listPipelineJobs(parent?: string): PipelineJob[] {
    return this.#list(this.#pipelineJobs, parent, "pipelineJobs");
  }

  /**
   * Stores a pipeline job as given (replacing one of the same name); fills the fields it lacks.
   * It makes no metadata: seed the `system.PipelineRun` context (and its executions and artifacts)
   * with `putContext` & co, or create the job with CreatePipelineJob, which makes them.
   */
  putPipelineJob(seed: PipelineJobSeed): PipelineJob {
    const now = this.clock.now();
    const job: PipelineJob = {
      displayName: "",
      createTime: now,
      startTime: null,
      endTime: null,
      updateTime: now,
      pipelineSpec: null,
      state: "PIPELINE_STATE_PENDING",
      jobDetail: null,
      labels: {},
      runtimeConfig: null,
      serviceAccount: "",
      network: "",
      templateUri: "",
      ...seed,
      name: this.canonical(seed.name),
    };
    this.#pipelineJobs.set(structuredClone(job));
    return structuredClone(job);
  }

  deletePipelineJob(name: string): boolean {
    return this.#pipelineJobs.delete(this.canonical(name));
  }

  /**
   * @internal The live stored objects under a metadata store (no copies, output-only fields not
   * filled), for the fake's list handlers, which filter first and copy only the page they return.
   */
  scanMetadata(kind: "contexts" | "artifacts" | "executions", parent: string): readonly MetadataRecord[] {
    const collection = { contexts: this.#contexts, artifacts: this.#artifacts, executions: this.#executions }[
      kind
    ];
    return (collection as Collection<MetadataRecord>).under(this.canonical(parent), kind);
  }

  #list<T extends { name: string }>(
    collection: Collection<T>,
    parent: string | undefined,
    kind: string,
  ): T[] {
    const items = parent === undefined ? collection.values() : collection.under(this.canonical(parent), kind);
    return items.map((item) => structuredClone(item));
  }
}
