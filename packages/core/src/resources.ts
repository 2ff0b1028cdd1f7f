import type { CheckedBackend } from "./checked-backend.js";
import { type CommonOptions, resolveBackend } from "./config.js";
import { InvalidTypeError, ValidationError } from "./errors.js";
import { checkIdRef, checkSchemaTitle } from "./fields.js";
import { resourceNotFound } from "./not-found.js";
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
import { isPlainObject, optionsObject, typeName } from "./validation.js";

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
  readonly backend: CheckedBackend;
  protected record: R;

  constructor(backend: CheckedBackend, record: R) {
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
  get updateTime(): Date {
    return new Date(this.record.updateTime);
  }
  toJSON(): R {
    return structuredClone(this.record);
  }
}

/**
 * Splits the common options off a create call's input. Defaults (schema version, state) are applied
 * once, by the store's `newArtifactRecord`/`newExecutionRecord`; the gateway checks every field.
 */
function splitOptions<T extends { schemaTitle: string }>(kind: string, options: T & CommonOptions): T {
  if (!isPlainObject(options)) {
    throw new InvalidTypeError(`${kind}.create takes { schemaTitle, … }; got ${typeName(options)}.`);
  }
  const { backend: _b, project: _p, location: _l, credentials: _c, ...input } = options;
  if (input.schemaTitle === undefined || input.schemaTitle === "") {
    throw new ValidationError(
      `${kind}.create needs a schemaTitle, e.g. 'system.${kind === "Artifact" ? "Dataset" : "Run"}'.`,
    );
  }
  checkSchemaTitle(input.schemaTitle);
  return input as unknown as T;
}

async function findOne<R>(
  kind: "Artifact" | "Execution",
  id: string,
  options: CommonOptions,
  get: (backend: CheckedBackend, id: string) => Promise<R | undefined>,
): Promise<{ backend: CheckedBackend; record: R }> {
  const checkedId = checkIdRef(id, kind.toLowerCase());
  const backend = await resolveBackend(optionsObject(options, `${kind}.get options`));
  const record = await get(backend, checkedId);
  if (!record) throw resourceNotFound(kind, checkedId, { backend: backend.name });
  return { backend, record };
}

function listOptions(kind: string, options: unknown): CommonOptions & { schemaTitle?: string } {
  const opts = optionsObject(options, `${kind}.list options`) as CommonOptions & { schemaTitle?: string };
  if (opts.schemaTitle !== undefined) checkSchemaTitle(opts.schemaTitle);
  return opts;
}

/** An artifact, as in Vertex ML Metadata: a typed, attributable resource (a dataset, a model, metrics…). */
export class Artifact extends MetadataResource<ArtifactRecord> {
  static async create(options: NewArtifact & CommonOptions): Promise<Artifact> {
    const input = splitOptions("Artifact", options);
    const backend = await resolveBackend(options);
    return new Artifact(backend, await backend.createArtifact(input));
  }

  static async get(id: string, options: CommonOptions = {}): Promise<Artifact> {
    const { backend, record } = await findOne("Artifact", id, options, (b, i) => b.getArtifact(i));
    return new Artifact(backend, record);
  }

  static async list(options: CommonOptions & { schemaTitle?: string } = {}): Promise<Artifact[]> {
    const opts = listOptions("Artifact", options);
    const backend = await resolveBackend(opts);
    const records = await collectPages((page) =>
      backend.listArtifacts({ ...page, ...(opts.schemaTitle ? { schemaTitle: opts.schemaTitle } : {}) }),
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
    const backend = await resolveBackend(options);
    return new Execution(backend, await backend.createExecution(input));
  }

  static async get(id: string, options: CommonOptions = {}): Promise<Execution> {
    const { backend, record } = await findOne("Execution", id, options, (b, i) => b.getExecution(i));
    return new Execution(backend, record);
  }

  static async list(options: CommonOptions & { schemaTitle?: string } = {}): Promise<Execution[]> {
    const opts = listOptions("Execution", options);
    const backend = await resolveBackend(opts);
    const records = await collectPages((page) =>
      backend.listExecutions({ ...page, ...(opts.schemaTitle ? { schemaTitle: opts.schemaTitle } : {}) }),
    );
    return records.map((r) => new Execution(backend, r));
  }

  get state(): RunState {
    return this.record.state;
  }

  /** Sets the state and merges metadata one level deep. */
  async update(patch: { state?: RunState; metadata?: Metadata }): Promise<void> {
    this.record = await this.backend.updateExecution(this.id, patch);
  }

  async assignInputArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    this.record = await this.backend.addExecutionEvents(this.id, { inputs: idsOf(artifacts, "artifact") });
  }

  async assignOutputArtifacts(artifacts: (Artifact | string)[]): Promise<void> {
    this.record = await this.backend.addExecutionEvents(this.id, { outputs: idsOf(artifacts, "artifact") });
  }

  async getInputArtifacts(): Promise<Artifact[]> {
    return this.#artifacts((await this.#refresh()).inputArtifacts);
  }

  async getOutputArtifacts(): Promise<Artifact[]> {
    return this.#artifacts((await this.#refresh()).outputArtifacts);
  }

  async #refresh(): Promise<ExecutionRecord> {
    const record = await this.backend.getExecution(this.id);
    if (!record) throw resourceNotFound("Execution", this.id, { backend: this.backend.name });
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
    if (!isPlainObject(init) && !((init as unknown) instanceof PipelineJob)) {
      throw new InvalidTypeError(
        `new PipelineJob takes { resourceName, displayName }; got ${typeName(init)}.`,
      );
    }
    if (typeof init.resourceName !== "string" || init.resourceName === "") {
      throw new ValidationError("A PipelineJob needs its resourceName.");
    }
    this.resourceName = init.resourceName;
    this.displayName = init.displayName ?? init.resourceName.split("/").pop()!;
  }
}

/** The id of an artifact or execution given as an object or as its id; a typed error for anything else. */
export function idOf(resource: { id: string } | string, kind = "resource"): string {
  const id = typeof resource === "string" ? resource : (resource as { id?: unknown } | null)?.id;
  if (typeof id !== "string" || id === "") {
    throw new InvalidTypeError(
      `Expected an ${kind} (an object with an id) or its id; got ${typeName(resource)}.`,
    );
  }
  return id;
}

/** The ids of a list of artifacts or executions; a typed error unless it is an array. */
export function idsOf(resources: ({ id: string } | string)[], kind: string): string[] {
  if (!Array.isArray(resources)) {
    throw new InvalidTypeError(`Expected an array of ${kind}s (or their ids); got ${typeName(resources)}.`);
  }
  return resources.map((r) => idOf(r, kind));
}
