import type { Backend } from "./backend.js";
import { type CommonOptions, resolveBackend } from "./config.js";
import { NotFoundError, ValidationError } from "./errors.js";
import { collectPages } from "./paging.js";
import type {
  ArtifactRecord,
  ArtifactState,
  ExecutionRecord,
  Metadata,
  NewArtifact,
  NewExecution,
  RunState,
} from "./types.js";
import { validateState } from "./validation.js";

interface ResourceRecord {
  id: string;
  schemaTitle: string;
  schemaVersion: string;
  displayName: string;
  description: string;
  metadata: Metadata;
  createTime: number;
  updateTime: number;
}

/** What artifacts and executions share: identity, schema, names and metadata. */
abstract class MetadataResource<R extends ResourceRecord> {
  readonly backend: Backend;
  protected record: R;

  constructor(backend: Backend, record: R) {
    this.backend = backend;
    this.record = record;
  }

  get id(): string {
    return this.record.id;
  }
  /** The id: stores other than Vertex have no longer resource names. */
  get resourceName(): string {
    return this.record.id;
  }
  get schemaTitle(): string {
    return this.record.schemaTitle;
  }
  get schemaVersion(): string {
    return this.record.schemaVersion;
  }
  get displayName(): string {
    return this.record.displayName;
  }
  get description(): string {
    return this.record.description;
  }
  get metadata(): Metadata {
    return structuredClone(this.record.metadata);
  }
  get createTime(): Date {
    return new Date(this.record.createTime);
  }
  toJSON(): R {
    return structuredClone(this.record);
  }
}

/** Splits the common options off a create call's input. */
function splitOptions<T extends { schemaTitle: string }>(kind: string, options: T & CommonOptions): T {
  const { backend: _b, project: _p, location: _l, credentials: _c, ...input } = options;
  if (typeof input.schemaTitle !== "string" || input.schemaTitle === "") {
    throw new ValidationError(
      `${kind}.create needs a schemaTitle, e.g. 'system.${kind === "Artifact" ? "Dataset" : "Run"}'.`,
    );
  }
  // No schema version unless given: Python's Artifact.create / Execution.create send "" (VERTEX.md).
  return input as unknown as T;
}

async function findOne<R>(
  kind: string,
  id: string,
  options: CommonOptions,
  get: (backend: Backend, id: string) => Promise<R | undefined>,
): Promise<{ backend: Backend; record: R }> {
  const backend = await resolveBackend(options);
  const record = await get(backend, id);
  if (!record)
    throw new NotFoundError(`${kind} ${JSON.stringify(id)} was not found.`, { backend: backend.name });
  return { backend, record };
}

/** An artifact, as in Vertex ML Metadata: a typed, attributable resource (a dataset, a model, metrics…). */
export class Artifact extends MetadataResource<ArtifactRecord> {
  static async create(options: NewArtifact & CommonOptions): Promise<Artifact> {
    const input = splitOptions("Artifact", options);
    const backend = await resolveBackend(options);
    return new Artifact(backend, await backend.createArtifact({ state: "LIVE", ...input }));
  }

  static async get(id: string, options: CommonOptions = {}): Promise<Artifact> {
    const { backend, record } = await findOne("Artifact", id, options, (b, i) => b.getArtifact(i));
    return new Artifact(backend, record);
  }

  static async list(options: CommonOptions & { schemaTitle?: string } = {}): Promise<Artifact[]> {
    const backend = await resolveBackend(options);
    const records = await collectPages((page) =>
      backend.listArtifacts({ ...page, schemaTitle: options.schemaTitle }),
    );
    return records.map((r) => new Artifact(backend, r));
  }

  get uri(): string {
    return this.record.uri;
  }
  get state(): ArtifactState {
    return this.record.state;
  }
}

/** An execution (a step of work, such as a training job), with input and output artifacts. */
export class Execution extends MetadataResource<ExecutionRecord> {
  static async create(options: NewExecution & CommonOptions): Promise<Execution> {
    const input = splitOptions("Execution", options);
    if (input.state !== undefined) validateState(input.state);
    const backend = await resolveBackend(options);
    return new Execution(backend, await backend.createExecution({ state: "RUNNING", ...input }));
  }

  static async get(id: string, options: CommonOptions = {}): Promise<Execution> {
    const { backend, record } = await findOne("Execution", id, options, (b, i) => b.getExecution(i));
    return new Execution(backend, record);
  }

  static async list(options: CommonOptions & { schemaTitle?: string } = {}): Promise<Execution[]> {
    const backend = await resolveBackend(options);
    const records = await collectPages((page) =>
      backend.listExecutions({ ...page, schemaTitle: options.schemaTitle }),
    );
    return records.map((r) => new Execution(backend, r));
  }

  get state(): RunState {
    return this.record.state;
  }

  /** Sets the state and merges metadata one level deep. */
  async update(patch: { state?: RunState; metadata?: Metadata }): Promise<void> {
    if (patch.state !== undefined) validateState(patch.state);
    this.record = await this.backend.updateExecution(this.id, patch);
  }

  async assignInputArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    this.record = await this.backend.addExecutionEvents(this.id, { inputs: artifacts.map(idOf) });
  }

  async assignOutputArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    this.record = await this.backend.addExecutionEvents(this.id, { outputs: artifacts.map(idOf) });
  }

  async getInputArtifacts(): Promise<Artifact[]> {
    return this.#artifacts((await this.#refresh()).inputArtifacts);
  }

  async getOutputArtifacts(): Promise<Artifact[]> {
    return this.#artifacts((await this.#refresh()).outputArtifacts);
  }

  async #refresh(): Promise<ExecutionRecord> {
    const record = await this.backend.getExecution(this.id);
    if (!record) throw new NotFoundError(`Execution ${this.id} was deleted.`, { backend: this.backend.name });
    this.record = record;
    return record;
  }

  async #artifacts(ids: string[]): Promise<Artifact[]> {
    const records = await Promise.all(ids.map((id) => this.backend.getArtifact(id)));
    return records.filter((r) => r !== undefined).map((r) => new Artifact(this.backend, r));
  }
}

/**
 * A reference to a Vertex AI pipeline job (its resource name and display name). `run.log({ pipelineJob })`
 * links it to a run; `run.getLoggedPipelineJobs()` reads the links back.
 */
export class PipelineJob {
  readonly resourceName: string;
  readonly displayName: string;

  constructor(init: { resourceName: string; displayName?: string }) {
    if (typeof init.resourceName !== "string" || init.resourceName === "") {
      throw new ValidationError("A PipelineJob needs its resourceName.");
    }
    this.resourceName = init.resourceName;
    this.displayName = init.displayName ?? init.resourceName.split("/").pop()!;
  }
}

export function idOf(resource: { id: string } | string): string {
  return typeof resource === "string" ? resource : resource.id;
}
