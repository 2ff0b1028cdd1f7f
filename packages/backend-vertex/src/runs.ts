import {
  AlreadyExistsError,
  type NewRun,
  NotFoundError,
  type RunPatch,
  type RunRecord,
  type RunRef,
  runNotFound,
  SCHEMA,
  ValidationError,
} from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";
import { type Context, ContextWriter, deleteContextQuietly, findContext } from "./contexts.js";
import { experimentContextName, experimentNotFound, requireExperimentContext } from "./experiments.js";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { incarnationOf, KEY, legacyRunRecord, runRecord } from "./records.js";
import { runContextName } from "./resource-names.js";
import { mergeArtifactMetadata, updateExecution } from "./resources.js";
import { hasStatus, Status } from "./rpc.js";
import { listingSupport } from "./run-series-index.js";
import type { Session } from "./session.js";
import { type ProtoStruct, type ProtoValue, toProtoStruct, toProtoValue } from "./struct.js";
import { lookupTbRun } from "./tensorboard-link.js";

type Execution = protos.google.cloud.aiplatform.v1.IExecution;
type Artifact = protos.google.cloud.aiplatform.v1.IArtifact;

/** What this process knows of a run's TensorBoard run, for one creation of the run. */
interface KnownTbRun {
  incarnation: string;
  /** The TensorBoard run's name, or null when the run has none. */
  tbRun: string | null;
}

/**
 * What this process last saw: each run's context (its etag saves a read) and TensorBoard run, and
 * the experiments and TensorBoard experiments known to exist (each saves a read per run created;
 * one deleted meanwhile is noticed by the write that needs it, which then repairs or refuses).
 */
export class RunCache {
  readonly writer: ContextWriter;
  readonly contexts: Map<string, Context>;
  /** run key → its TensorBoard run, as seen for one incarnation. */
  readonly tbRuns = new Map<string, KnownTbRun>();
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

  /** Records the TensorBoard run of one creation of a run. */
  noteTbRun(ref: RunRef, incarnation: string, tbRun: string | undefined): void {
    this.tbRuns.set(runKey(ref), { incarnation, tbRun: tbRun ?? null });
  }
}

export function runKey(ref: RunRef): string {
  return `${ref.experiment}/${ref.run}`;
}

function notFound(ref: RunRef, cause?: unknown): NotFoundError {
  const error = runNotFound(ref, { backend: VERTEX_BACKEND_NAME });
  if (cause !== undefined) Object.defineProperty(error, "cause", { value: cause, configurable: true });
  return error;
}

/** Whether a run's context (or legacy execution) is the creation `ref` addresses. */
export function isIncarnation(resource: Context | Execution, ref: RunRef): boolean {
  return ref.incarnation === undefined || incarnationOf(resource) === ref.incarnation;
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

function alreadyExists(ref: RunRef, cause: unknown): AlreadyExistsError {
  return new AlreadyExistsError(
    `Run ${JSON.stringify(ref.run)} already exists in experiment ${JSON.stringify(ref.experiment)}. ` +
      `Use ExperimentRun.get() or startRun(name, { resume: true }).`,
    { backend: VERTEX_BACKEND_NAME, cause },
  );
}

/**
 * CreateContext `{E}-{R}` then AddContextChildren(experiment ← run), as Python (VERTEX.md §10.5);
 * a legacy `system.Run` (copies keep the kind) is an Execution `{E}-{R}` associated with the
 * experiment, as the Experiments preview made them (§1.6).
 */
export async function createRun(
  session: Session,
  cache: RunCache,
  experiment: string,
  run: NewRun,
): Promise<RunRecord> {
  const ref = { experiment, run: run.name };
  const runType = run.runType ?? SCHEMA.experimentRun;
  if (runType !== SCHEMA.experimentRun && runType !== SCHEMA.legacyRun) {
    throw new ValidationError(
      `Vertex makes ${runType} runs itself (a PipelineJob submitted with an experiment makes one); ` +
        `exprun can create ${SCHEMA.experimentRun} and legacy ${SCHEMA.legacyRun} runs. ` +
        `Copy this run as ${SCHEMA.experimentRun}.`,
      { backend: VERTEX_BACKEND_NAME },
    );
  }
  if (!cache.experiments.has(experiment)) {
    await requireExperimentContext(session, experiment);
    cache.experiments.add(experiment);
  }
  if (runType === SCHEMA.legacyRun) return createLegacyRun(session, cache, ref, run);
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
      throw alreadyExists(ref, error);
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
  cache.noteTbRun(ref, incarnationOf(context), undefined);
  return runRecord(experiment, context);
}

/** CreateExecution `{E}-{R}` (`system.Run`) and its association with the experiment context. */
async function createLegacyRun(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  run: NewRun,
): Promise<RunRecord> {
  if (await findContext(session, runContextName(session, ref))) throw alreadyExists(ref, undefined);
  let execution: Execution;
  try {
    [execution] = await session.call(
      () =>
        session.md.createExecution({
          parent: session.store,
          executionId: `${ref.experiment}-${ref.run}`,
          execution: {
            displayName: ref.run,
            schemaTitle: SCHEMA.legacyRun,
            schemaVersion: SCHEMA.defaultVersion,
            state: run.state,
            metadata: toProtoStruct({}),
          },
        }),
      false,
    );
  } catch (error) {
    if (hasStatus(error, Status.ALREADY_EXISTS)) throw alreadyExists(ref, error);
    throw error;
  }
  try {
    await session.call(() =>
      session.md.addContextArtifactsAndExecutions({
        context: experimentContextName(session, ref.experiment),
        executions: [execution.name ?? `${session.store}/executions/${ref.experiment}-${ref.run}`],
      }),
    );
  } catch (error) {
    if (!hasStatus(error, Status.NOT_FOUND)) throw error;
    cache.experiments.delete(ref.experiment);
    throw experimentNotFound(ref.experiment, error);
  }
  return legacyRunRecord(ref.experiment, execution, undefined);
}

export async function findLegacyExecution(session: Session, ref: RunRef): Promise<Execution | undefined> {
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
  if (execution.schemaTitle !== SCHEMA.legacyRun || !isIncarnation(execution, ref)) return undefined;
  return execution;
}

async function findLegacy(session: Session, ref: RunRef): Promise<RunRecord | undefined> {
  const execution = await findLegacyExecution(session, ref);
  if (!execution) return undefined;
  const id = `${ref.experiment}-${ref.run}`;
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

/**
 * The run's TensorBoard run: what this process knows of the creation `ref` addresses, else the run
 * context (checked to be that creation) and its `-tb-run` artifact, read again.
 */
export async function tensorboardRunOf(
  session: Session,
  cache: RunCache,
  ref: RunRef,
): Promise<string | undefined> {
  const known = cache.tbRuns.get(runKey(ref));
  if (known && (ref.incarnation === undefined || known.incarnation === ref.incarnation)) {
    return known.tbRun ?? undefined;
  }
  const context = await requireRunContext(session, cache, ref, { fresh: true });
  const tbRun = await lookupTbRun(session, ref.experiment, ref.run);
  cache.noteTbRun(ref, incarnationOf(context), tbRun);
  return tbRun;
}

export async function getRun(session: Session, cache: RunCache, ref: RunRef): Promise<RunRecord | undefined> {
  const context = await findContext(session, runContextName(session, ref));
  if (!context) return findLegacy(session, ref);
  if (!isIncarnation(context, ref)) return undefined;
  assertRunContext(context, ref);
  cache.contexts.set(runContextName(session, ref), context);
  const tbRun = await lookupTbRun(session, ref.experiment, ref.run);
  cache.noteTbRun(ref, incarnationOf(context), tbRun);
  return runRecord(ref.experiment, context, tbRun);
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

/** Tags are the context's labels: set, or deleted when given as `null`. */
function mergeLabels(
  labels: { [key: string]: string } | null | undefined,
  tags: Record<string, string | null> | undefined,
): { [key: string]: string } {
  const merged = { ...(labels ?? {}) };
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/**
 * One-level merge of `_params` / `_metrics`, `_state` replaced, tags merged into the labels, the
 * note as the description: an etag-guarded UpdateContext. The merge is applied to the version the
 * etag names, so a run deleted and created again since this process saw it fails the etag, is read
 * again, and is refused as another creation (no extra read on the way).
 */
export async function updateRun(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  patch: RunPatch,
): Promise<RunRecord> {
  const name = runContextName(session, ref);
  let otherCreation = false;
  const change = (context: Context): Context => {
    otherCreation = !isIncarnation(context, ref);
    if (otherCreation) throw notFound(ref);
    assertRunContext(context, ref);
    const fields = { ...(context.metadata?.fields ?? {}) };
    mergeInto(fields, KEY.params, patch.params);
    mergeInto(fields, KEY.metrics, patch.metrics);
    if (patch.state !== undefined) fields[KEY.state] = toProtoValue(patch.state);
    context.metadata = { fields };
    if (patch.tags) context.labels = mergeLabels(context.labels, patch.tags);
    if (patch.description !== undefined) context.description = patch.description;
    return context;
  };
  // A version this process saw of another creation would be refused without asking: read again.
  const known = cache.contexts.get(name);
  if (known && !isIncarnation(known, ref)) cache.contexts.delete(name);
  let updated: Context;
  try {
    updated = await cache.writer.update(name, change);
  } catch (error) {
    if (!(error instanceof NotFoundError) || otherCreation) throw error;
    const legacy = await updateLegacyRun(session, ref, patch);
    if (legacy) return legacy;
    throw notFound(ref, error);
  }
  return runRecord(ref.experiment, updated, await tensorboardRunOf(session, cache, ref));
}

/**
 * The run context of the creation `ref` addresses, else `NotFoundError`. A context this process
 * saw of that creation counts as proof unless `fresh` (links, which no etag guards, read it again).
 */
export async function requireRunContext(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  options: { fresh?: boolean } = {},
): Promise<Context> {
  const name = runContextName(session, ref);
  const known = options.fresh ? undefined : cache.contexts.get(name);
  if (known && isIncarnation(known, ref)) return known;
  const context = await findContext(session, name);
  if (!context || !isIncarnation(context, ref)) throw notFound(ref);
  assertRunContext(context, ref);
  cache.contexts.set(name, context);
  return context;
}

/**
 * Throws `NotFoundError` unless the run `ref` addresses exists: its context (read again when
 * `ref` names an incarnation), or a legacy run's execution (which has no context to list under).
 */
export async function requireRun(session: Session, cache: RunCache, ref: RunRef): Promise<void> {
  try {
    await requireRunContext(session, cache, ref, { fresh: ref.incarnation !== undefined });
  } catch (error) {
    if (!(error instanceof NotFoundError) || !(await findLegacyExecution(session, ref))) throw error;
  }
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
  if (patch.params || patch.state || patch.tags || patch.description !== undefined) {
    await updateExecution(
      session,
      id,
      {
        ...(patch.state ? { state: patch.state } : {}),
        ...(patch.params ? { metadata: patch.params } : {}),
      },
      {
        ...(patch.tags ? { labels: (labels) => mergeLabels(labels, patch.tags) } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
      },
    );
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
