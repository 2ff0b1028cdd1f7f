import { createHash } from "node:crypto";
import { NotFoundError, type RunChild, type RunRef, SCHEMA } from "@exprun/core";
import { type Context, findContext } from "./contexts.js";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { KEY } from "./records.js";
import { artifactName, executionName } from "./resources.js";
import { hasStatus, Status } from "./rpc.js";
import { type RunCache, requireRunContext, runContextName } from "./runs.js";
import { lastSegment, type Session } from "./session.js";
import { fromProtoStruct, toProtoStruct } from "./struct.js";

/** AddContextArtifactsAndExecutions(run, …): an attribution, idempotent on the service. */
export async function attributeToRun(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  links: { artifacts?: string[]; executions?: string[] },
): Promise<void> {
  await requireRunContext(session, cache, ref, { fresh: ref.incarnation !== undefined });
  const artifacts = [...new Set(links.artifacts ?? [])].map((id) => artifactName(session, id));
  const executions = [...new Set(links.executions ?? [])].map((id) => executionName(session, id));
  if (artifacts.length + executions.length === 0) return;
  try {
    await session.call(() =>
      session.md.addContextArtifactsAndExecutions({
        context: runContextName(session, ref),
        artifacts,
        executions,
      }),
    );
  } catch (error) {
    if (hasStatus(error, Status.NOT_FOUND)) {
      throw new NotFoundError(
        `Cannot attribute to run ${ref.run}: an artifact or execution of ${JSON.stringify([
          ...(links.artifacts ?? []),
          ...(links.executions ?? []),
        ])} does not exist. Create it first.`,
        { backend: VERTEX_BACKEND_NAME, cause: error },
      );
    }
    throw error;
  }
}

const CONTEXT_NAME = /^projects\/[^/]+\/locations\/[^/]+\/metadataStores\/[^/]+\/contexts\/[^/]+$/;
const CONTEXT_ID = /^[a-z0-9][a-z0-9-]{3,127}$/;

/**
 * The context that stands for a child. A metadata context name is used as is. Anything else (a
 * PipelineJob resource name) maps to the context id Vertex gives a pipeline run (the job id), or a
 * hash of the name when that is no valid id, and the context is created when missing, carrying the
 * child's resource name under `resourceName` (the key google.* schemas use for GCP resources).
 */
async function childContext(session: Session, child: RunChild): Promise<string> {
  if (CONTEXT_NAME.test(child.resourceName)) return child.resourceName;
  const jobId = lastSegment(child.resourceName);
  const hashed = `run-child-${createHash("sha256").update(child.resourceName).digest("hex").slice(0, 40)}`;
  for (const id of CONTEXT_ID.test(jobId) ? [jobId, hashed] : [hashed]) {
    const name = `${session.store}/contexts/${id}`;
    const existing = await findContext(session, name);
    if (existing && isContextOf(existing, child)) return name;
    if (existing) continue;
    try {
      await session.call(
        () =>
          session.md.createContext({
            parent: session.store,
            contextId: id,
            context: {
              displayName: child.displayName || id,
              schemaTitle: child.schemaTitle,
              schemaVersion: SCHEMA.defaultVersion,
              metadata: toProtoStruct({ ...(child.metadata ?? {}), [KEY.resourceName]: child.resourceName }),
            },
          }),
        false,
      );
      return name;
    } catch (error) {
      if (!hasStatus(error, Status.ALREADY_EXISTS)) throw error;
      const raced = await findContext(session, name);
      if (raced && isContextOf(raced, child)) return name;
    }
  }
  throw new NotFoundError(`No metadata context can stand for ${child.resourceName}.`, {
    backend: VERTEX_BACKEND_NAME,
  });
}

function isContextOf(context: Context, child: RunChild): boolean {
  if (context.schemaTitle !== child.schemaTitle) return false;
  const stored = fromProtoStruct(context.metadata)[KEY.resourceName];
  // A pipeline run context Vertex made itself has no resourceName: its id is the job id.
  return stored === undefined || stored === child.resourceName;
}

/** AddContextChildren(run, [child contexts]) — as Python's `log(pipeline_job=…)` (VERTEX.md §5). */
export async function addRunChildren(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  children: RunChild[],
): Promise<void> {
  await requireRunContext(session, cache, ref, { fresh: ref.incarnation !== undefined });
  const names: string[] = [];
  for (const child of children) names.push(await childContext(session, child));
  if (names.length === 0) return;
  await session.call(() =>
    session.md.addContextChildren({
      context: runContextName(session, ref),
      childContexts: [...new Set(names)],
    }),
  );
}

/** ListContexts `[schema_title="…" AND ]parent_contexts:"<run>"`, all pages. */
export async function listRunChildren(
  session: Session,
  cache: RunCache,
  ref: RunRef,
  options: { schemaTitle?: string } = {},
): Promise<RunChild[]> {
  await requireRunContext(session, cache, ref, { fresh: ref.incarnation !== undefined });
  const parts = [`parent_contexts:"${runContextName(session, ref)}"`];
  if (options.schemaTitle) parts.unshift(`schema_title=${JSON.stringify(options.schemaTitle)}`);
  const out: RunChild[] = [];
  let pageToken = "";
  do {
    const [contexts, , response] = await session.call(() =>
      session.md.listContexts(
        { parent: session.store, filter: parts.join(" AND "), pageSize: 1000, pageToken },
        { autoPaginate: false },
      ),
    );
    for (const context of contexts) {
      const metadata = fromProtoStruct(context.metadata);
      const stored = metadata[KEY.resourceName];
      delete metadata[KEY.resourceName];
      out.push({
        schemaTitle: context.schemaTitle ?? "",
        resourceName: typeof stored === "string" ? stored : foreignChildName(session, context),
        displayName: context.displayName ?? "",
        metadata,
      });
    }
    pageToken = response?.nextPageToken ?? "";
  } while (pageToken);
  return out;
}

/** A child context exprun did not create: a pipeline run context is named after its PipelineJob (Python reads the job id from the display name). */
function foreignChildName(session: Session, context: Context): string {
  if (context.schemaTitle === SCHEMA.pipelineRun && context.displayName) {
    return `projects/${session.project}/locations/${session.location}/pipelineJobs/${context.displayName}`;
  }
  return context.name ?? "";
}
