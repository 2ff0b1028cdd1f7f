import type { Backend } from "./backend.js";
import { type CommonOptions, resolveBackend } from "./config.js";
import { NotFoundError, ValidationError } from "./errors.js";
import { collectPages } from "./paging.js";
import {
  type ArtifactRecord,
  type ArtifactState,
  type ExecutionRecord,
  type Metadata,
  type NewArtifact,
  type NewExecution,
  type RunState,
  SCHEMA,
} from "./types.js";
import { validateState } from "./validation.js";

/** An artifact, as in Vertex ML Metadata: a typed, attributable resource (a dataset, a model, metrics…). */
export class Artifact {
  readonly backend: Backend;
  #record: ArtifactRecord;

  /** @internal Use {@link Artifact.create}, {@link Artifact.get} or {@link Artifact.list}. */
  constructor(backend: Backend, record: ArtifactRecord) {
    this.backend = backend;
    this.#record = record;
  }

  static async create(
    options: Omit<NewArtifact, "schemaVersion"> & { schemaVersion?: string } & CommonOptions,
  ) {
    const { backend: b, project: _p, location: _l, credentials: _c, ...input } = options;
    if (typeof input.schemaTitle !== "string" || input.schemaTitle === "") {
      throw new ValidationError("Artifact.create needs a schemaTitle, e.g. 'system.Dataset'.");
    }
    const backend = await resolveBackend(options);
    return new Artifact(
      backend,
      await backend.createArtifact({ schemaVersion: SCHEMA.defaultVersion, state: "LIVE", ...input }),
    );
  }

  static async get(id: string, options: CommonOptions = {}): Promise<Artifact> {
    const backend = await resolveBackend(options);
    const record = await backend.getArtifact(id);
    if (!record)
      throw new NotFoundError(`Artifact ${JSON.stringify(id)} was not found.`, { backend: backend.name });
    return new Artifact(backend, record);
  }

  static async list(options: CommonOptions & { schemaTitle?: string } = {}): Promise<Artifact[]> {
    const backend = await resolveBackend(options);
    const records = await collectPages((page) =>
      backend.listArtifacts({ ...page, schemaTitle: options.schemaTitle }),
    );
    return records.map((r) => new Artifact(backend, r));
  }

  get id(): string {
    return this.#record.id;
  }
  get resourceName(): string {
    return this.#record.id;
  }
  get schemaTitle(): string {
    return this.#record.schemaTitle;
  }
  get schemaVersion(): string {
    return this.#record.schemaVersion;
  }
  get displayName(): string {
    return this.#record.displayName;
  }
  get uri(): string {
    return this.#record.uri;
  }
  get description(): string {
    return this.#record.description;
  }
  get state(): ArtifactState {
    return this.#record.state;
  }
  get metadata(): Metadata {
    return structuredClone(this.#record.metadata);
  }
  get createTime(): Date {
    return new Date(this.#record.createTime);
  }
  toJSON(): ArtifactRecord {
    return structuredClone(this.#record);
  }
}

/** An execution (a step of work, such as a training job), with input and output artifacts. */
export class Execution {
  readonly backend: Backend;
  #record: ExecutionRecord;

  /** @internal Use {@link Execution.create}, {@link Execution.get} or {@link Execution.list}. */
  constructor(backend: Backend, record: ExecutionRecord) {
    this.backend = backend;
    this.#record = record;
  }

  static async create(options: NewExecution & CommonOptions): Promise<Execution> {
    const { backend: _b, project: _p, location: _l, credentials: _c, ...input } = options;
    if (typeof input.schemaTitle !== "string" || input.schemaTitle === "") {
      throw new ValidationError("Execution.create needs a schemaTitle, e.g. 'system.ContainerExecution'.");
    }
    if (input.state !== undefined) validateState(input.state);
    const backend = await resolveBackend(options);
    return new Execution(
      backend,
      await backend.createExecution({ schemaVersion: SCHEMA.defaultVersion, state: "RUNNING", ...input }),
    );
  }

  static async get(id: string, options: CommonOptions = {}): Promise<Execution> {
    const backend = await resolveBackend(options);
    const record = await backend.getExecution(id);
    if (!record)
      throw new NotFoundError(`Execution ${JSON.stringify(id)} was not found.`, { backend: backend.name });
    return new Execution(backend, record);
  }

  static async list(options: CommonOptions & { schemaTitle?: string } = {}): Promise<Execution[]> {
    const backend = await resolveBackend(options);
    const records = await collectPages((page) =>
      backend.listExecutions({ ...page, schemaTitle: options.schemaTitle }),
    );
    return records.map((r) => new Execution(backend, r));
  }

  get id(): string {
    return this.#record.id;
  }
  get resourceName(): string {
    return this.#record.id;
  }
  get schemaTitle(): string {
    return this.#record.schemaTitle;
  }
  get displayName(): string {
    return this.#record.displayName;
  }
  get description(): string {
    return this.#record.description;
  }
  get state(): RunState {
    return this.#record.state;
  }
  get metadata(): Metadata {
    return structuredClone(this.#record.metadata);
  }

  /** Sets the state and merges metadata one level deep. */
  async update(patch: { state?: RunState; metadata?: Metadata }): Promise<void> {
    if (patch.state !== undefined) validateState(patch.state);
    this.#record = await this.backend.updateExecution(this.id, patch);
  }

  async assignInputArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    this.#record = await this.backend.addExecutionEvents(this.id, { inputs: artifacts.map(idOf) });
  }

  async assignOutputArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    this.#record = await this.backend.addExecutionEvents(this.id, { outputs: artifacts.map(idOf) });
  }

  async getInputArtifacts(): Promise<Artifact[]> {
    return this.#artifacts((await this.#refresh()).inputArtifacts);
  }

  async getOutputArtifacts(): Promise<Artifact[]> {
    return this.#artifacts((await this.#refresh()).outputArtifacts);
  }

  toJSON(): ExecutionRecord {
    return structuredClone(this.#record);
  }

  async #refresh(): Promise<ExecutionRecord> {
    const record = await this.backend.getExecution(this.id);
    if (!record) throw new NotFoundError(`Execution ${this.id} was deleted.`, { backend: this.backend.name });
    this.#record = record;
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
