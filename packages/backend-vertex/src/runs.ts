import {
  AlreadyExistsError,
  type NewRun,
  NotFoundError,
  type RunPatch,
  type RunRecord,
  type RunRef,
  SCHEMA,
  ValidationError,
} from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";
import { type Context, ContextWriter, deleteContextQuietly, findContext } from "./contexts.js";
import { experimentContextName, experimentNotFound, requireExperimentContext } from "./experiments.js";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { KEY, legacyRunRecord, runRecord } from "./records.js";
import { runContextName } from "./resource-names.js";
import { mergeArtifactMetadata, updateExecution } from "./resources.js";
import { hasStatus, Status } from "./rpc.js";
import { listingSupport } from "./run-series-index.js";
import type { Session } from "./session.js";
import { type ProtoStruct, type ProtoValue, toProtoStruct, toProtoValue } from "./struct.js";
import { lookupTbRun } from "./tensorboard-link.js";

type Execution = protos.google.cloud.aiplatform.v1.IExecution;
type Artifact = protos.google.cloud.aiplatform.v1.IArtifact;

/**
 * What this process last saw: each run's context (its etag saves a read) and TensorBoard run, and
 * the experiments and TensorBoard experiments known to exist (each saves a read per run created;
 * one deleted meanwhile is noticed by the write that needs it, which then repairs or refuses).
 */
export class RunCache {
  readonly writer: ContextWriter;
  readonly contexts: Map<string, Context>;
  /** run key → TensorBoard run name, or null when the run is known to have none. */
  readonly tbRuns = new Map<string, string | null>();
  /** Experiment names whose context was seen, checked to be a `system.Experiment`. */
  readonly experiments = new Set<string>();
  /** TensorBoard experiment resource names known to exist. */
  readonly tbExperiments = new Set<string>();
  /** Which bulk listings the service turned out to support. */
  readonly listing = listingSupport();

  constructor(session: Session) {
    this.writer = new ContextWriter(session);
    this.contexts = this.writer.known;
  }

  forget(ref: RunRef, session: Session): void {
    this.contexts.delete(runContextName(session, ref));
    this.tbRuns.delete(runKey(ref));
  }
}

export function runKey(ref: RunRef): string {
  return `${ref.experiment}/${ref.run}`;
}

function notFound(ref: RunRef): NotFoundError {
  return new NotFoundError(
    `Run ${JSON.stringify(ref.run)} was not found in experiment ${JSON.stringify(ref.experiment)}. ` +
      `Create it with ExperimentRun.create() or startRun().`,
    { backend: VERTEX_BACKEND_NAME },
  );
}

function assertRunContext(context: Context, ref: RunRef): void {
  if (context.schemaTitle !== SCHEMA.experimentRun) {
    throw new ValidationError(
      `Run ${ref.run} must be of type ${SCHEMA.experimentRun} but is of type ${context.schemaTitle}. ` +
        `Choose another run name.`,
      { backend: VERTEX_BACKEND_NAME },
    );
  }
}

function initialMetadata(state: string): ProtoStruct {
  return toProtoStruct({ [KEY.params]: {}, [KEY.metrics]: {}, [KEY.state]: state });
}

/** CreateContext `{E}-{R}` then AddContextChildren(experiment ← run), as Python (VERTEX.md §10.5). */
export async function createRun(
  session: Session,
  cache: RunCache,
  experiment: string,
  run: NewRun,
): Promise<RunRecord> {
  const ref = { experiment, run: run.name };
  if (!cache.experiments.has(experiment)) {
    await requireExperimentContext(session, experiment);
    cache.experiments.add(experiment);
  }
  let retried = false;
  let context: Context;
  try {
    [context] = await session.call((attempt) => {
      retried = attempt > 1;
      return session.md.createContext({
        parent: session.store,
        contextId: `${experiment}-${run.name}`,
        context: {
          displayName: run.name,
          schemaTitle: SCHEMA.experimentRun,
          schemaVersion: SCHEMA.defaultVersion,
          metadata: initialMetadata(run.state),
        },
      });
    }, false);
  } catch (error) {
    if (!hasStatus(error, Status.ALREADY_EXISTS)) throw error;
    // After a lost response the "existing" context may be our own fresh run.
    const existing = retried ? await findContext(session, runContextName(session, ref)) : undefined;
    const fresh = existing && runRecord(experiment, existing);
    if (!existing || !fresh || fresh.state !== run.state || Object.keys(fresh.params).length > 0) {
      throw new AlreadyExistsError(
        `Run ${JSON.stringify(run.name)} already exists in experiment ${JSON.stringify(experiment)}. ` +
          `Use ExperimentRun.get() or startRun(name, { resume: true }).`,
        { backend: VERTEX_BACKEND_NAME, cause: error },
      );
    }
    context = existing;
  }
  try {
    await session.call(() =>
      session.md.addContextChildren({
        context: experimentContextName(session, experiment),
        childContexts: [runContextName(session, ref)],
      }),
    );
  } catch (error) {
    if (!hasStatus(error, Status.NOT_FOUND)) throw error;
    // The experiment was deleted since this process saw it: take the orphan run context back.
    cache.experiments.delete(experiment);
    await deleteContextQuietly(session, runContextName(session, ref));
    throw experimentNotFound(experiment, error);
  }
  cache.contexts.set(runContextName(session, ref), context);
  cache.tbRuns.set(runKey(ref), null);
  return runRecord(experiment, context);
}

async function findLegacy(session: Session, ref: RunRef): Promise<RunRecord | undefined> {
  const id = `${ref.experiment}-${ref.run}`;
  let execution: Execution;
  try {
    [execution] = await session.call(() =>
      session.md.getExecution({ name: `${session.store}/executions/${id}` }),
    );
  } catch (error) {
    if (hasStatus(error, Status.NOT_FOUND)) return undefined;
    throw error;
  }
  if (execution.schemaTitle !== SCHEMA.legacyRun) return undefined;
  return legacyRunRecord(ref.experiment, execution, await findLegacyMetrics(session, id));
}

/** The `{E}-{R}-metrics` artifact of a legacy run, if any. */
export async function findLegacyMetrics(session: Session, runId: string): Promise<Artifact | undefined> {
  try {
    const [artifact] = await session.call(() =>
      session.md.getArtifact({ name: `${session.store}/artifacts/${runId}-metrics` }),
    );
    return artifact;
  } catch (error) {
    if (hasStatus(error, Status.NOT_FOUND)) return undefined;
    throw error;
  }
}

/** The run's TensorBoard run, from the cache or the `-tb-run` artifact. */
export async function tensorboardRunOf(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  refresh = false,
): Promise<string | undefined> {
  const key = runKey(ref);
  if (!refresh && cache.tbRuns.has(key)) return cache.tbRuns.get(key) ?? undefined;
  const tbRun = await lookupTbRun(session, ref.experiment, ref.run);
  cache.tbRuns.set(key, tbRun ?? null);
  return tbRun;
}

export async function getRun(session: Session, cache: RunCache, ref: RunRef): Promise<RunRecord | undefined> {
  const context = await findContext(session, runContextName(session, ref));
  if (!context) return findLegacy(session, ref);
  assertRunContext(context, ref);
  cache.contexts.set(runContextName(session, ref), context);
  return runRecord(ref.experiment, context, await tensorboardRunOf(session, cache, ref, true));
}

function mergeInto(
  fields: { [key: string]: ProtoValue },
  key: string,
  values: Record<string, unknown> | undefined,
): void {
  if (!values) return;
  const current = fields[key]?.structValue?.fields ?? {};
  const merged = { ...current };
  for (const [k, v] of Object.entries(values)) merged[k] = toProtoValue(v as string | number | boolean);
  fields[key] = { structValue: { fields: merged } };
}

/** One-level merge of `_params` / `_metrics`, `_state` replaced: an etag-guarded UpdateContext. */
export async function updateRun(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  patch: RunPatch,
): Promise<RunRecord> {
  const name = runContextName(session, ref);
  const change = (context: Context): Context => {
    assertRunContext(context, ref);
    const fields = { ...(context.metadata?.fields ?? {}) };
    mergeInto(fields, KEY.params, patch.params);
    mergeInto(fields, KEY.metrics, patch.metrics);
    if (patch.state !== undefined) fields[KEY.state] = toProtoValue(patch.state);
    context.metadata = { fields };
    return context;
  };
  let updated: Context;
  try {
    updated = await cache.writer.update(name, change);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    const legacy = await updateLegacyRun(session, ref, patch);
    if (legacy) return legacy;
    throw notFound(ref);
  }
  return runRecord(ref.experiment, updated, await tensorboardRunOf(session, cache, ref));
}

/** Throws NotFoundError unless the run context exists (the cache counts as proof). */
export async function requireRunContext(session: Session, cache: RunCache, ref: RunRef): Promise<Context> {
  const name = runContextName(session, ref);
  const context = cache.contexts.get(name) ?? (await findContext(session, name));
  if (!context) throw notFound(ref);
  assertRunContext(context, ref);
  return context;
}

export { notFound as runNotFound, runContextName };

/**
 * Python still updates legacy runs (VERTEX.md §1.6): params merge into the Execution's flat
 * metadata, the state is the Execution's state, metrics merge into the `{E}-{R}-metrics` artifact.
 * Resolves `undefined` when there is no legacy run either.
 */
async function updateLegacyRun(
  session: Session,
  ref: RunRef,
  patch: RunPatch,
): Promise<RunRecord | undefined> {
  const id = `${ref.experiment}-${ref.run}`;
  if (!(await findLegacy(session, ref))) return undefined;
  if (patch.params || patch.state) {
    await updateExecution(session, id, {
      ...(patch.state ? { state: patch.state } : {}),
      ...(patch.params ? { metadata: patch.params } : {}),
    });
  }
  if (patch.metrics) {
    await mergeArtifactMetadata(session, `${id}-metrics`, patch.metrics, {
      schemaTitle: SCHEMA_METRICS,
      state: "LIVE",
    });
  }
  return findLegacy(session, ref);
}

/** Python's `system.Metrics`, the legacy runs' metrics artifact schema. */
const SCHEMA_METRICS = "system.Metrics";
