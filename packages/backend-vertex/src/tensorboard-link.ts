import { createHash } from "node:crypto";
import { NotFoundError, SCHEMA, ValidationError } from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";
import type { Context } from "./contexts.js";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { incarnationOf, KEY } from "./records.js";
import { hasStatus, Status } from "./rpc.js";
import { lastSegment, type Session } from "./session.js";
import { fromProtoStruct, toProtoStruct } from "./struct.js";

type Artifact = protos.google.cloud.aiplatform.v1.IArtifact;
type TensorboardRun = protos.google.cloud.aiplatform.v1.ITensorboardRun;

/** Label Python (v1.20+) puts on the TensorBoard experiment it creates for a Vertex experiment. */
const TB_EXPERIMENT_LABELS = { vertex_tensorboard_experiment_source: "vertex_experiment" };

/** `MS/artifacts/{E}-{R}-tb-run`: the artifact that points a run at its TensorBoard run (VERTEX.md §4.1). */
export function tbRunArtifactName(session: Session, experiment: string, run: string): string {
  return `${session.store}/artifacts/${experiment}-${run}-tb-run`;
}

/** The TensorBoard run a reference artifact names, when it is one the Python SDK would accept. */
export function referencedTbRun(artifact: Artifact, expectedName: string): string | undefined {
  // Compare ids: the service answers with the project number where we may have used the project id.
  if (lastSegment(artifact.name ?? "") !== lastSegment(expectedName)) return undefined;
  if (artifact.schemaTitle !== SCHEMA.tensorboardRun) return undefined;
  const metadata = fromProtoStruct(artifact.metadata);
  const resourceName = metadata[KEY.resourceName];
  return metadata[KEY.tracking] && typeof resourceName === "string" && resourceName
    ? resourceName
    : undefined;
}

/** GetArtifact `{E}-{R}-tb-run`: the run's TensorBoard run resource name, or `undefined`. */
export async function lookupTbRun(
  session: Session,
  experiment: string,
  run: string,
): Promise<string | undefined> {
  return lookupTbRunArtifact(session, tbRunArtifactName(session, experiment, run));
}

/** GetArtifact of a reference artifact by its full name: the TensorBoard run it names, or `undefined`. */
export async function lookupTbRunArtifact(session: Session, name: string): Promise<string | undefined> {
  try {
    const [artifact] = await session.call(() => session.md.getArtifact({ name }));
    return referencedTbRun(artifact, name);
  } catch (error) {
    if (hasStatus(error, Status.NOT_FOUND)) return undefined;
    throw error;
  }
}

/** The resource `create` makes, or when it exists already, the one `get` reads. */
async function createOrGet<T>(
  create: () => Promise<[T, ...unknown[]]>,
  get: () => Promise<[T, ...unknown[]]>,
): Promise<T> {
  try {
    return (await create())[0];
  } catch (error) {
    if (!hasStatus(error, Status.ALREADY_EXISTS)) throw error;
    return (await get())[0];
  }
}

/** A run's TensorBoard run, and whether this call created it (then it has no time series yet). */
export interface AssignedTbRun {
  name: string;
  created: boolean;
}

/**
 * Python's `_assign_backing_tensorboard`: TensorBoard experiment `{E}` and run `{R}` (created, or
 * reused when they exist), the `{E}-{R}-tb-run` reference artifact, and its attribution to the run
 * context. Creates are tried first and an ALREADY_EXISTS needs no read, so each resource costs one
 * RPC whether it is new or not; a TensorBoard experiment in `knownTbExperiments` costs none (if it
 * was deleted meanwhile, the run's create says NOT_FOUND and it is made again). An existing
 * reference artifact naming the same TensorBoard run is reused (a retried or repeated assignment);
 * one naming another is refused as Python refuses it.
 */
export async function assignTensorboard(
  session: Session,
  knownTbExperiments: Set<string>,
  experiment: string,
  run: string,
  runContext: Context,
  tensorboard: string,
): Promise<AssignedTbRun> {
  const runContextName = runContext.name ?? "";
  const tbExperimentName = `${tensorboard}/experiments/${experiment}`;
  const ensureTbExperiment = async (): Promise<void> => {
    try {
      await session.call(
        () =>
          session.tb.createTensorboardExperiment({
            parent: tensorboard,
            tensorboardExperimentId: experiment,
            tensorboardExperiment: { displayName: experiment, labels: TB_EXPERIMENT_LABELS },
          }),
        false,
      );
    } catch (error) {
      if (hasStatus(error, Status.NOT_FOUND)) {
        throw new NotFoundError(
          `TensorBoard ${tensorboard} was not found. Create it first (in the console or with ` +
            "TensorboardServiceClient.createTensorboard); exprun never creates one implicitly.",
          { backend: VERTEX_BACKEND_NAME, cause: error },
        );
      }
      // An existing TensorBoard experiment is reused as it is, as Python reuses it.
      if (!hasStatus(error, Status.ALREADY_EXISTS)) throw error;
    }
    knownTbExperiments.add(tbExperimentName);
  };
  const createTbRun = (id: string) => () =>
    session.call(
      () =>
        session.tb.createTensorboardRun({
          parent: tbExperimentName,
          tensorboardRunId: id,
          tensorboardRun: { displayName: run },
        }),
      false,
    );
  if (!knownTbExperiments.has(tbExperimentName)) await ensureTbExperiment();
  let tbRun: AssignedTbRun & { createTime: Timestamp };
  try {
    tbRun = await createOrGetTbRun(session, createTbRun(run), `${tbExperimentName}/runs/${run}`);
  } catch (error) {
    if (!hasStatus(error, Status.NOT_FOUND)) throw error;
    // The TensorBoard experiment this process knew of is gone: make it again, once.
    knownTbExperiments.delete(tbExperimentName);
    await ensureTbExperiment();
    tbRun = await createOrGetTbRun(session, createTbRun(run), `${tbExperimentName}/runs/${run}`);
  }
  if (!tbRun.created && isOlder(tbRun.createTime, runContext.createTime)) {
    // TensorBoard run `{R}` outlived an earlier run of this name (deleted without its TensorBoard
    // run): its points are not this run's. This creation gets a TensorBoard run of its own, named
    // after its incarnation, so a retry finds the same one; Python reads it through the artifact.
    const id = incarnationRunId(run, incarnationOf(runContext));
    tbRun = await createOrGetTbRun(session, createTbRun(id), `${tbExperimentName}/runs/${id}`);
  }
  const artifactName = tbRunArtifactName(session, experiment, run);
  const createReference = () =>
    createOrGet(
      () =>
        session.call(
          () =>
            session.md.createArtifact({
              parent: session.store,
              artifactId: `${experiment}-${run}-tb-run`,
              artifact: {
                uri: `https://${session.apiEndpoint}/v1/${tbRun.name}`,
                schemaTitle: SCHEMA.tensorboardRun,
                schemaVersion: SCHEMA.defaultVersion,
                state: "LIVE",
                metadata: toProtoStruct({ [KEY.resourceName]: tbRun.name, [KEY.tracking]: true }),
              },
            }),
          false,
        ),
      () => session.call(() => session.md.getArtifact({ name: artifactName })),
    );
  let artifact = await createReference();
  if (
    referencedTbRun(artifact, artifactName) !== tbRun.name &&
    isOlder(artifact.createTime, runContext.createTime)
  ) {
    // Left by an earlier run of this name (Python's delete keeps it, and then refuses the name):
    // it points at a deleted run's TensorBoard run. Replace it.
    await deleteArtifactQuietly(session, artifactName);
    artifact = await createReference();
  }
  const linked = referencedTbRun(artifact, artifactName);
  if (linked !== tbRun.name) {
    throw new ValidationError(
      `Experiment run ${run} already associated to tensorboard resource ${linked ?? artifactName}. ` +
        `Delete the run with { deleteBackingTensorboardRun: true } to reuse its name with another TensorBoard.`,
      { backend: VERTEX_BACKEND_NAME },
    );
  }
  await session.call(() =>
    session.md.addContextArtifactsAndExecutions({ context: runContextName, artifacts: [artifactName] }),
  );
  return tbRun;
}

type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

/** Whether `a` is strictly before `b` (to the nanosecond); a missing time is never older. */
function isOlder(a: Timestamp, b: Timestamp): boolean {
  if (!a || !b) return false;
  const as = BigInt(String(a.seconds ?? 0));
  const bs = BigInt(String(b.seconds ?? 0));
  return as < bs || (as === bs && (a.nanos ?? 0) < (b.nanos ?? 0));
}

/** `{R}-i{8 hex}`: a TensorBoard run id of one incarnation of run `{R}` (≤ 128 characters). */
function incarnationRunId(run: string, incarnation: string): string {
  const suffix = `-i${createHash("sha256").update(incarnation).digest("hex").slice(0, 8)}`;
  return `${run.slice(0, 128 - suffix.length)}${suffix}`;
}

async function deleteArtifactQuietly(session: Session, name: string): Promise<void> {
  try {
    await session.call(async () => {
      const [operation] = await session.md.deleteArtifact({ name });
      await operation.promise();
    });
  } catch (error) {
    if (!hasStatus(error, Status.NOT_FOUND)) throw error;
  }
}

async function createOrGetTbRun(
  session: Session,
  create: () => Promise<[TensorboardRun, ...unknown[]]>,
  name: string,
): Promise<AssignedTbRun & { createTime: Timestamp }> {
  try {
    const [created] = await create();
    return { name: created.name ?? name, created: true, createTime: created.createTime };
  } catch (error) {
    if (!hasStatus(error, Status.ALREADY_EXISTS)) throw error;
    const [existing] = await session.call(() => session.tb.getTensorboardRun({ name }));
    return { name: existing.name ?? name, created: false, createTime: existing.createTime };
  }
}
