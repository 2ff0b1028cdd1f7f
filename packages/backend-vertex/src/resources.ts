import {
  AlreadyExistsError,
  type ArtifactRecord,
  ConflictError,
  type ExecutionPatch,
  type ExecutionRecord,
  type Metadata,
  type NewArtifact,
  type NewExecution,
  NotFoundError,
  newArtifactRecord,
  newExecutionRecord,
  type Page,
  type ResourceQuery,
  resourceNotFound,
  SCHEMA,
} from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { artifactRecord, executionRecord } from "./records.js";
import { runContextName } from "./resource-names.js";
import { backoffDelay, hasStatus, mapLimit, Status, sleep } from "./rpc.js";
import { lastSegment, type Session } from "./session.js";
import { fromProtoStruct, toProtoStruct } from "./struct.js";

type Execution = protos.google.cloud.aiplatform.v1.IExecution;
type Artifact = protos.google.cloud.aiplatform.v1.IArtifact;

export function artifactName(session: Session, id: string): string {
  return `${session.store}/artifacts/${id}`;
}

export function executionName(session: Session, id: string): string {
  return `${session.store}/executions/${id}`;
}

function missing(kind: "Artifact" | "Execution", id: string, cause?: unknown, hint?: string): NotFoundError {
  return resourceNotFound(kind, id, { backend: VERTEX_BACKEND_NAME, hint, cause });
}

/** CreateArtifact; without an id the service generates one (a UUID), as for Python's metrics artifacts. */
export async function createArtifact(session: Session, artifact: NewArtifact): Promise<ArtifactRecord> {
  const fields = newArtifactRecord(artifact, "", 0); // core's defaults; id and times are the service's
  try {
    const [created] = await session.call(
      () =>
        session.md.createArtifact({
          parent: session.store,
          ...(artifact.id ? { artifactId: artifact.id } : {}),
          artifact: {
            schemaTitle: fields.schemaTitle,
            schemaVersion: fields.schemaVersion,
            displayName: fields.displayName,
            uri: fields.uri,
            description: fields.description,
            state: fields.state,
            metadata: toProtoStruct(fields.metadata),
          },
        }),
      false,
    );
    return artifactRecord(created);
  } catch (error) {
    if (hasStatus(error, Status.ALREADY_EXISTS)) {
      throw new AlreadyExistsError(
        `Artifact ${JSON.stringify(artifact.id)} already exists. Use another id.`,
        {
          backend: VERTEX_BACKEND_NAME,
          cause: error,
        },
      );
    }
    throw error;
  }
}

export async function getArtifact(session: Session, id: string): Promise<ArtifactRecord | undefined> {
  try {
    const [artifact] = await session.call(() => session.md.getArtifact({ name: artifactName(session, id) }));
    return artifactRecord(artifact);
  } catch (error) {
    if (hasStatus(error, Status.NOT_FOUND)) return undefined;
    throw error;
  }
}

function listFilter(session: Session, query: ResourceQuery, kind: "artifacts" | "executions"): string {
  const parts: string[] = [];
  if (query.schemaTitle) parts.push(`schema_title=${JSON.stringify(query.schemaTitle)}`);
  if (query.run) {
    parts.push(`in_context("${runContextName(session, query.run)}")`);
    // The {E}-{R}-tb-run reference artifact is how Vertex links a run to its TensorBoard run
    // (reported as `tensorboardRun`), not something the user attributed: listed only when asked for.
    if (!query.schemaTitle && kind === "artifacts") parts.push(`schema_title!="${SCHEMA.tensorboardRun}"`);
  }
  return parts.join(" AND ");
}

function pageSize(query: ResourceQuery): number {
  return Math.min(Math.max(query.pageSize ?? 1000, 1), 1000);
}

export async function listArtifacts(
  session: Session,
  query: ResourceQuery = {},
): Promise<Page<ArtifactRecord>> {
  const [artifacts, , response] = await session.call(() =>
    session.md.listArtifacts(
      {
        parent: session.store,
        filter: listFilter(session, query, "artifacts"),
        pageSize: pageSize(query),
        pageToken: query.pageToken ?? "",
      },
      { autoPaginate: false },
    ),
  );
  return { items: artifacts.map(artifactRecord), nextPageToken: response?.nextPageToken || undefined };
}

/** Every artifact matching `filter`, all pages of 1,000 (the largest the service serves). */
export async function allArtifacts(session: Session, filter: string): Promise<Artifact[]> {
  const out: Artifact[] = [];
  let pageToken = "";
  do {
    const [artifacts, , response] = await session.call(() =>
      session.md.listArtifacts(
        { parent: session.store, filter, pageSize: 1000, pageToken },
        { autoPaginate: false },
      ),
    );
    out.push(...artifacts);
    pageToken = response?.nextPageToken ?? "";
  } while (pageToken);
  return out;
}

export async function createExecution(session: Session, execution: NewExecution): Promise<ExecutionRecord> {
  const fields = newExecutionRecord(execution, "", 0); // core's defaults; id and times are the service's
  try {
    const [created] = await session.call(
      () =>
        session.md.createExecution({
          parent: session.store,
          ...(execution.id ? { executionId: execution.id } : {}),
          execution: {
            schemaTitle: fields.schemaTitle,
            schemaVersion: fields.schemaVersion,
            displayName: fields.displayName,
            description: fields.description,
            state: fields.state,
            metadata: toProtoStruct(fields.metadata),
          },
        }),
      false,
    );
    return executionRecord(created);
  } catch (error) {
    if (hasStatus(error, Status.ALREADY_EXISTS)) {
      throw new AlreadyExistsError(
        `Execution ${JSON.stringify(execution.id)} already exists. Use another id.`,
        {
          backend: VERTEX_BACKEND_NAME,
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Input and output artifact ids of an execution, in the order their events were added. */
async function eventsOf(session: Session, name: string): Promise<{ inputs: string[]; outputs: string[] }> {
  const [graph] = await session.call(() => session.md.queryExecutionInputsAndOutputs({ execution: name }));
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (const event of graph.events ?? []) {
    const id = lastSegment(event.artifact ?? "");
    const list = event.type === "INPUT" ? inputs : event.type === "OUTPUT" ? outputs : undefined;
    if (list && !list.includes(id)) list.push(id);
  }
  return { inputs, outputs };
}

async function findExecution(session: Session, id: string): Promise<Execution | undefined> {
  try {
    const [execution] = await session.call(() =>
      session.md.getExecution({ name: executionName(session, id) }),
    );
    return execution;
  } catch (error) {
    if (hasStatus(error, Status.NOT_FOUND)) return undefined;
    throw error;
  }
}

export async function getExecution(session: Session, id: string): Promise<ExecutionRecord | undefined> {
  const execution = await findExecution(session, id);
  if (!execution) return undefined;
  return executionRecord(execution, await eventsOf(session, execution.name ?? executionName(session, id)));
}

export async function listExecutions(
  session: Session,
  query: ResourceQuery = {},
): Promise<Page<ExecutionRecord>> {
  const [executions, , response] = await session.call(() =>
    session.md.listExecutions(
      {
        parent: session.store,
        filter: listFilter(session, query, "executions"),
        pageSize: pageSize(query),
        pageToken: query.pageToken ?? "",
      },
      { autoPaginate: false },
    ),
  );
  const items = await mapLimit(executions, session.concurrency, async (e) =>
    executionRecord(e, await eventsOf(session, e.name ?? "")),
  );
  return { items, nextPageToken: response?.nextPageToken || undefined };
}

/** What a legacy run's update changes beyond an execution patch: its labels (tags) and description (note). */
export interface ExecutionExtras {
  labels?: (current: { [key: string]: string } | null | undefined) => { [key: string]: string };
  description?: string;
}

/** Every field UpdateExecution writes: as a mask, a full replace. */
const EXECUTION_FIELDS = [
  "display_name",
  "state",
  "schema_title",
  "schema_version",
  "description",
  "labels",
  "metadata",
];

/** Etag-guarded UpdateExecution: state replaced, metadata merged one level deep; re-read on conflict. */
export async function updateExecution(
  session: Session,
  id: string,
  patch: ExecutionPatch,
  extras: ExecutionExtras = {},
): Promise<ExecutionRecord> {
  for (let attempt = 1; ; attempt++) {
    const current = await findExecution(session, id);
    if (!current) throw missing("Execution", id);
    const metadata = { ...fromProtoStruct(current.metadata), ...(patch.metadata ?? {}) };
    const description = extras.description ?? current.description ?? null;
    const labels = extras.labels ? extras.labels(current.labels) : (current.labels ?? null);
    // An empty description or label map clears a stored one only when named in a mask.
    const clears =
      (!description && Boolean(current.description)) ||
      (Object.keys(labels ?? {}).length === 0 && Object.keys(current.labels ?? {}).length > 0);
    try {
      const [updated] = await session.call(() =>
        session.md.updateExecution({
          ...(clears ? { updateMask: { paths: EXECUTION_FIELDS } } : {}),
          execution: {
            name: current.name ?? null,
            displayName: current.displayName ?? null,
            schemaTitle: current.schemaTitle ?? null,
            schemaVersion: current.schemaVersion ?? null,
            description,
            labels,
            state: patch.state ?? current.state ?? null,
            metadata: toProtoStruct(metadata),
            etag: current.etag ?? null,
          },
        }),
      );
      return executionRecord(updated, await eventsOf(session, updated.name ?? executionName(session, id)));
    } catch (error) {
      if (!hasStatus(error, Status.ABORTED) && !hasStatus(error, Status.FAILED_PRECONDITION)) throw error;
      if (attempt >= session.retry.maxEtagAttempts) {
        throw new ConflictError(
          `Gave up updating execution ${id} after ${attempt} etag conflicts. Retry the call.`,
          {
            backend: VERTEX_BACKEND_NAME,
            cause: error,
          },
        );
      }
      await sleep(backoffDelay(session.retry, attempt));
    }
  }
}

/** AddExecutionEvents for the artifacts not already linked that way (the call itself is not idempotent). */
export async function addExecutionEvents(
  session: Session,
  id: string,
  events: { inputs?: string[]; outputs?: string[] },
): Promise<ExecutionRecord> {
  const name = executionName(session, id);
  if (!(await findExecution(session, id))) throw missing("Execution", id);
  const existing = await eventsOf(session, name);
  const fresh = (ids: string[] | undefined, have: string[]) =>
    [...new Set(ids ?? [])].filter((a) => !have.includes(a));
  const inputs = fresh(events.inputs, existing.inputs);
  const outputs = fresh(events.outputs, existing.outputs);
  if (inputs.length + outputs.length > 0) {
    try {
      await session.call(() =>
        session.md.addExecutionEvents({
          execution: name,
          events: [
            ...inputs.map((a) => ({ artifact: artifactName(session, a), type: "INPUT" as const })),
            ...outputs.map((a) => ({ artifact: artifactName(session, a), type: "OUTPUT" as const })),
          ],
        }),
      );
    } catch (error) {
      if (hasStatus(error, Status.NOT_FOUND))
        throw new NotFoundError(`An artifact of execution ${JSON.stringify(id)} was not found.`, {
          backend: VERTEX_BACKEND_NAME,
          cause: error,
        });
      throw error;
    }
  }
  const record = await getExecution(session, id);
  if (!record) throw missing("Execution", id);
  return record;
}

/** Etag-guarded UpdateArtifact merging `metadata` one level deep; creates the artifact when `create` is given and it is missing. */
export async function mergeArtifactMetadata(
  session: Session,
  id: string,
  metadata: Metadata,
  create?: NewArtifact,
): Promise<ArtifactRecord> {
  for (let attempt = 1; ; attempt++) {
    let current: Artifact;
    try {
      [current] = await session.call(() => session.md.getArtifact({ name: artifactName(session, id) }));
    } catch (error) {
      if (!hasStatus(error, Status.NOT_FOUND)) throw error;
      if (!create) throw missing("Artifact", id, error);
      try {
        return await createArtifact(session, {
          ...create,
          id,
          metadata: { ...(create.metadata ?? {}), ...metadata },
        });
      } catch (raced) {
        if (!(raced instanceof AlreadyExistsError)) throw raced;
        continue;
      }
    }
    try {
      const [updated] = await session.call(() =>
        session.md.updateArtifact({
          artifact: {
            name: current.name ?? null,
            displayName: current.displayName ?? null,
            uri: current.uri ?? null,
            labels: current.labels ?? null,
            state: current.state ?? null,
            schemaTitle: current.schemaTitle ?? null,
            schemaVersion: current.schemaVersion ?? null,
            description: current.description ?? null,
            metadata: toProtoStruct({ ...fromProtoStruct(current.metadata), ...metadata }),
            etag: current.etag ?? null,
          },
        }),
      );
      return artifactRecord(updated);
    } catch (error) {
      if (!hasStatus(error, Status.ABORTED) && !hasStatus(error, Status.FAILED_PRECONDITION)) throw error;
      if (attempt >= session.retry.maxEtagAttempts) {
        throw new ConflictError(
          `Gave up updating artifact ${id} after ${attempt} etag conflicts. Retry the call.`,
          {
            backend: VERTEX_BACKEND_NAME,
            cause: error,
          },
        );
      }
      await sleep(backoffDelay(session.retry, attempt));
    }
  }
}
