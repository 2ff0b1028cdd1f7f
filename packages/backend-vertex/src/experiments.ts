import {
  AlreadyExistsError,
  type ExperimentRecord,
  type Metadata,
  type NewExperiment,
  NotFoundError,
  type Page,
  type PageRequest,
  SCHEMA,
  ValidationError,
} from "@exprun/core";
import { type Context, findContext, updateContext } from "./contexts.js";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { experimentRecord, KEY } from "./records.js";
import { hasStatus, Status } from "./rpc.js";
import type { Session } from "./session.js";
import { toProtoStruct, toProtoValue } from "./struct.js";

export function experimentContextName(session: Session, experiment: string): string {
  return `${session.store}/contexts/${experiment}`;
}

/** Python's `_validate_experiment_context` (VERTEX.md §1.3), as a ValidationError. */
export function assertExperimentContext(context: Context, name: string): void {
  if (context.schemaTitle !== SCHEMA.experiment) {
    throw new ValidationError(
      `Experiment name ${name} is of type (${context.schemaTitle}) in this MetadataStore. It must of type ` +
        `${SCHEMA.experiment}. Choose another experiment name.`,
      { backend: VERTEX_BACKEND_NAME },
    );
  }
  if (isTensorboardExperimentContext(context)) {
    throw new ValidationError(
      `Experiment name ${name} is a TensorboardExperiment context and cannot be used as a Vertex AI Experiment. ` +
        `Choose another experiment name.`,
      { backend: VERTEX_BACKEND_NAME },
    );
  }
}

function isTensorboardExperimentContext(context: Context): boolean {
  return context.metadata?.fields?.[KEY.tensorboardLink] !== undefined;
}

export async function createExperiment(
  session: Session,
  experiment: NewExperiment,
): Promise<ExperimentRecord> {
  // Python's EXPERIMENT_METADATA (the console filters on it), then the TensorBoard when given.
  const metadata: Metadata = { [KEY.experimentDeleted]: false };
  if (experiment.backingTensorboard) metadata[KEY.backingTensorboard] = experiment.backingTensorboard;
  const create = async (): Promise<Context> => {
    const [context] = await session.md.createContext({
      parent: session.store,
      contextId: experiment.name,
      context: {
        displayName: experiment.name,
        schemaTitle: SCHEMA.experiment,
        schemaVersion: SCHEMA.defaultVersion,
        description: experiment.description ?? "",
        metadata: toProtoStruct(metadata),
      },
    });
    return context;
  };
  let retried = false;
  try {
    return experimentRecord(
      await session.call((attempt) => {
        retried = attempt > 1;
        return create();
      }, false),
    );
  } catch (error) {
    if (!hasStatus(error, Status.ALREADY_EXISTS)) throw error;
    // A retry after a lost response finds our own context: the same experiment, not a rival's.
    const existing = retried
      ? await findContext(session, experimentContextName(session, experiment.name))
      : undefined;
    if (
      existing?.schemaTitle === SCHEMA.experiment &&
      (existing.description ?? "") === (experiment.description ?? "")
    ) {
      return experimentRecord(existing);
    }
    throw new AlreadyExistsError(
      `Experiment ${JSON.stringify(experiment.name)} already exists. Use Experiment.get() or pick another name.`,
      { backend: VERTEX_BACKEND_NAME, cause: error },
    );
  }
}

export async function getExperimentContext(session: Session, name: string): Promise<Context | undefined> {
  const context = await findContext(session, experimentContextName(session, name));
  if (context) assertExperimentContext(context, name);
  return context;
}

export function experimentNotFound(name: string, cause?: unknown): NotFoundError {
  return new NotFoundError(
    `Experiment ${JSON.stringify(name)} was not found. Create it with Experiment.create().`,
    { backend: VERTEX_BACKEND_NAME, cause },
  );
}

export async function requireExperimentContext(session: Session, name: string): Promise<Context> {
  const context = await getExperimentContext(session, name);
  if (!context) throw experimentNotFound(name);
  return context;
}

export async function listExperiments(
  session: Session,
  page: PageRequest = {},
): Promise<Page<ExperimentRecord>> {
  const [contexts, , response] = await session.call(() =>
    session.md.listContexts(
      {
        parent: session.store,
        filter: `schema_title="${SCHEMA.experiment}"`,
        pageSize: Math.min(Math.max(page.pageSize ?? 1000, 1), 1000),
        pageToken: page.pageToken ?? "",
      },
      { autoPaginate: false },
    ),
  );
  return {
    items: contexts.filter((c) => !isTensorboardExperimentContext(c)).map(experimentRecord),
    nextPageToken: response?.nextPageToken || undefined,
  };
}

export async function updateExperiment(
  session: Session,
  name: string,
  patch: { description?: string; backingTensorboard?: string },
): Promise<ExperimentRecord> {
  const known = await requireExperimentContext(session, name);
  const updated = await updateContext(
    session,
    experimentContextName(session, name),
    (context) => {
      if (patch.description !== undefined) context.description = patch.description;
      if (patch.backingTensorboard !== undefined) {
        const fields = { ...(context.metadata?.fields ?? {}) };
        fields[KEY.backingTensorboard] = toProtoValue(patch.backingTensorboard);
        context.metadata = { fields };
      }
      return context;
    },
    known,
  );
  return experimentRecord(updated);
}
