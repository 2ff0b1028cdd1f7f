import { randomUUID } from "node:crypto";
import type {
  ArtifactRecord,
  ExecutionPatch,
  ExecutionRecord,
  NewArtifact,
  NewExecution,
  Page,
  PageRequest,
  ResourceQuery,
} from "@exprun/core";
import {
  AlreadyExistsError,
  type NotFoundError,
  newArtifactRecord,
  newExecutionRecord,
  resourceNotFound,
  ValidationError,
} from "@exprun/core";
import { BACKEND, uid } from "./fsio.js";
import type { LogView } from "./log-view.js";
import {
  copyArtifact,
  copyExecution,
  type Entry,
  encodeArtifact,
  encodeExecution,
  type ResourcesState,
} from "./resources-log.js";
import type { FileStore } from "./store.js";
import { encodeDeep } from "./values.js";

/** Page tokens are the creation sequence number of the last item returned: stable while items are added. */
export function parseToken(token: string | undefined): number {
  if (token === undefined || token === "") return -1;
  const seq = Number(token);
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new ValidationError(
      `Invalid page token ${JSON.stringify(token)}. Pass the nextPageToken of a previous page.`,
      {
        backend: BACKEND,
      },
    );
  }
  return seq;
}

/** One page of `entries` (in creation order) after the token. */
export function paginate<T>(
  entries: Iterable<{ seq: number; value: T }>,
  page: PageRequest | undefined,
): Page<T> {
  const after = parseToken(page?.pageToken);
  const size = page?.pageSize && page.pageSize > 0 ? page.pageSize : Number.POSITIVE_INFINITY;
  const items: T[] = [];
  let last = -1;
  for (const entry of entries) {
    if (entry.seq <= after) continue;
    if (items.length >= size) return { items, nextPageToken: String(last) };
    items.push(entry.value);
    last = entry.seq;
  }
  return { items };
}

function notFound(kind: "Artifact" | "Execution", id: string): NotFoundError {
  return resourceNotFound(kind, id, { backend: BACKEND, hint: `Create it first (${kind}.create).` });
}

/** Artifacts and executions: store-wide resources, each kind in one append-only log under `resources/`. */
export class Resources {
  constructor(private readonly store: FileStore) {}

  /**
   * The view's state, up to date. A bad line in the log is reported by reads of what it names (the
   * id), and by listings that could include what it may have been; everything else reads and writes.
   */
  private async read<T>(
    view: LogView<ResourcesState<T>>,
    ids?: Iterable<string>,
  ): Promise<ResourcesState<T>> {
    const state = await this.store.resources(view);
    if (view.problems.length > 0) {
      const named = ids === undefined ? undefined : new Set(ids);
      const problem = view.problemError(
        (p) => named === undefined || (p.key !== undefined && named.has(p.key)),
      );
      if (problem) throw problem;
    }
    return state;
  }

  private async createIn<T extends { id: string; createTime: number }>(
    view: LogView<ResourcesState<T>>,
    kind: "Artifact" | "Execution",
    field: string,
    record: T,
    encode: (record: T) => unknown,
  ): Promise<Entry<T>> {
    await this.store.openForWrite();
    const taken = () =>
      new AlreadyExistsError(`${kind} "${record.id}" already exists. Choose another id.`, {
        backend: BACKEND,
      });
    if ((await this.read(view, [record.id])).byId.has(record.id)) throw taken();
    const id = uid();
    await this.store.appendResources(view.file, [
      { op: "create", uid: id, t: record.createTime, [field]: encode(record) },
    ]);
    const entry = (await this.read(view, [record.id])).byId.get(record.id);
    if (!entry || entry.uid !== id) throw taken();
    return entry;
  }

  async createArtifact(input: NewArtifact): Promise<ArtifactRecord> {
    const record = newArtifactRecord(input, input.id ?? randomUUID(), Date.now());
    const entry = await this.createIn(this.store.artifacts, "Artifact", "artifact", record, encodeArtifact);
    return copyArtifact(entry.record);
  }

  async getArtifact(id: string): Promise<ArtifactRecord | undefined> {
    const entry = (await this.read(this.store.artifacts, [id])).byId.get(id);
    return entry ? copyArtifact(entry.record) : undefined;
  }

  async requireArtifacts(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const state = await this.read(this.store.artifacts, ids);
    for (const id of ids) if (!state.byId.has(id)) throw notFound("Artifact", id);
  }

  async requireExecutions(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const state = await this.read(this.store.executions, ids);
    for (const id of ids) if (!state.byId.has(id)) throw notFound("Execution", id);
  }

  private async query<T extends { schemaTitle: string }>(
    view: LogView<ResourcesState<T>>,
    query: ResourceQuery | undefined,
    attributed: (run: { artifacts: string[]; executions: string[] }) => string[],
    copy: (record: T) => T,
  ): Promise<Page<T>> {
    let only: Set<string> | undefined;
    if (query?.run) only = new Set(attributed(await this.store.requireRun(query.run)));
    // A listing of a run's resources can only hold ids it names; one of every resource could hold anything.
    const state = await this.read(view, only);
    const entries = function* () {
      for (const [id, entry] of state.byId) {
        if (only && !only.has(id)) continue;
        if (query?.schemaTitle !== undefined && entry.record.schemaTitle !== query.schemaTitle) continue;
        yield { seq: entry.seq, value: entry.record };
      }
    };
    const page = paginate(entries(), query);
    return { ...page, items: page.items.map(copy) };
  }

  listArtifacts(query?: ResourceQuery): Promise<Page<ArtifactRecord>> {
    return this.query(this.store.artifacts, query, (r) => r.artifacts, copyArtifact);
  }

  async createExecution(input: NewExecution): Promise<ExecutionRecord> {
    const record = newExecutionRecord(input, input.id ?? randomUUID(), Date.now());
    const entry = await this.createIn(
      this.store.executions,
      "Execution",
      "execution",
      record,
      encodeExecution,
    );
    return copyExecution(entry.record);
  }

  async getExecution(id: string): Promise<ExecutionRecord | undefined> {
    const entry = (await this.read(this.store.executions, [id])).byId.get(id);
    return entry ? copyExecution(entry.record) : undefined;
  }

  listExecutions(query?: ResourceQuery): Promise<Page<ExecutionRecord>> {
    return this.query(this.store.executions, query, (r) => r.executions, copyExecution);
  }

  private async appendExecution(id: string, record: Record<string, unknown>): Promise<ExecutionRecord> {
    await this.store.openForWrite();
    await this.requireExecutions([id]);
    await this.store.appendResources(this.store.paths.executionsLog(), [{ ...record, id, t: Date.now() }]);
    const entry = (await this.read(this.store.executions, [id])).byId.get(id);
    if (!entry) throw notFound("Execution", id);
    return copyExecution(entry.record);
  }

  updateExecution(id: string, patch: ExecutionPatch): Promise<ExecutionRecord> {
    const record: Record<string, unknown> = { op: "update" };
    if (patch.state !== undefined) record.state = patch.state;
    if (patch.metadata !== undefined) record.metadata = encodeDeep(patch.metadata);
    return this.appendExecution(id, record);
  }

  async addExecutionEvents(
    id: string,
    events: { inputs?: string[]; outputs?: string[] },
  ): Promise<ExecutionRecord> {
    await this.requireArtifacts([...(events.inputs ?? []), ...(events.outputs ?? [])]);
    return this.appendExecution(id, {
      op: "events",
      inputs: events.inputs ?? [],
      outputs: events.outputs ?? [],
    });
  }
}
