import { ConflictError, NotFoundError } from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { backoffDelay, hasStatus, Status, sleep } from "./rpc.js";
import type { Session } from "./session.js";

export type Context = protos.google.cloud.aiplatform.v1.IContext;

/** GetContext, resolving `undefined` on NOT_FOUND. */
export async function findContext(session: Session, name: string): Promise<Context | undefined> {
  try {
    const [context] = await session.call(() => session.md.getContext({ name }));
    return context;
  } catch (error) {
    if (hasStatus(error, Status.NOT_FOUND)) return undefined;
    throw error;
  }
}

/** DeleteContext (a long-running operation) to completion; NOT_FOUND counts as done. */
export async function deleteContextQuietly(session: Session, name: string): Promise<void> {
  try {
    await session.call(async () => {
      const [operation] = await session.md.deleteContext({ name });
      await operation.promise();
    });
  } catch (error) {
    if (!hasStatus(error, Status.NOT_FOUND)) throw error;
  }
}

/** The mutable fields of a Context, as UpdateContext takes them (output-only fields dropped). */
function writable(context: Context): Context {
  return {
    name: context.name ?? null,
    displayName: context.displayName ?? null,
    schemaTitle: context.schemaTitle ?? null,
    schemaVersion: context.schemaVersion ?? null,
    description: context.description ?? null,
    labels: context.labels ?? null,
    metadata: context.metadata ?? null,
    etag: context.etag ?? null,
  };
}

/** Every field UpdateContext writes; with all of them as the mask, the update is a full replace. */
const ALL_FIELDS = ["display_name", "schema_title", "schema_version", "description", "labels", "metadata"];

/**
 * Python sends no update mask: the service writes every populated field, so an empty description
 * or an empty label map cannot clear a stored one. Only such an update names every field in a
 * mask (the same full write, clears included); every other update is sent as Python sends it.
 */
function clearingMask(before: Context, after: Context): { paths: string[] } | undefined {
  const clearsDescription = !after.description && Boolean(before.description);
  const clearsLabels =
    Object.keys(after.labels ?? {}).length === 0 && Object.keys(before.labels ?? {}).length > 0;
  return clearsDescription || clearsLabels ? { paths: ALL_FIELDS } : undefined;
}

/**
 * Read-modify-write of one Context that loses nothing to concurrent writers: UpdateContext carries
 * the etag of the version `change` saw; on ABORTED (etag mismatch, whichever etag is newer) the
 * context is re-read and `change` re-applied, after a jittered backoff. `change` must be a pure
 * function of the context it is given. `known` (a recently seen version) saves the first read.
 */
export async function updateContext(
  session: Session,
  name: string,
  change: (context: Context) => Context,
  known?: Context,
): Promise<Context> {
  let current = known;
  for (let attempt = 1; ; attempt++) {
    if (!current) {
      current = await findContext(session, name);
      if (!current)
        throw new NotFoundError(`Context ${name} does not exist.`, { backend: VERTEX_BACKEND_NAME });
    }
    const next = writable(change(structuredClone(current)));
    next.etag = current.etag ?? null;
    const updateMask = clearingMask(current, next);
    try {
      const [updated] = await session.call(() =>
        session.md.updateContext({ context: next, ...(updateMask ? { updateMask } : {}) }),
      );
      return updated;
    } catch (error) {
      if (hasStatus(error, Status.NOT_FOUND)) {
        throw new NotFoundError(`Context ${name} does not exist (deleted while being updated).`, {
          backend: VERTEX_BACKEND_NAME,
          cause: error,
        });
      }
      if (!hasStatus(error, Status.ABORTED) && !hasStatus(error, Status.FAILED_PRECONDITION)) throw error;
      if (attempt >= session.retry.maxEtagAttempts) {
        throw new ConflictError(
          `Gave up updating ${name} after ${attempt} etag conflicts with concurrent writers. Retry the call.`,
          { backend: VERTEX_BACKEND_NAME, cause: error },
        );
      }
      current = undefined;
      await sleep(backoffDelay(session.retry, attempt));
    }
  }
}

interface QueuedChange {
  change: (context: Context) => Context;
  resolve: (context: Context) => void;
  reject: (error: unknown) => void;
}

/**
 * Serialises this process's updates of each context and coalesces the ones that queue up behind
 * an update in flight into a single UpdateContext, applied in call order (Python takes a lock per
 * object; this also saves the RPCs). Keeps the last version seen, so a lone writer needs no read.
 */
export class ContextWriter {
  readonly #session: Session;
  readonly #queues = new Map<string, QueuedChange[]>();
  /** The last version of each context this process saw: its etag saves the read before a write. */
  readonly known = new Map<string, Context>();

  constructor(session: Session) {
    this.#session = session;
  }

  update(name: string, change: (context: Context) => Context): Promise<Context> {
    return new Promise<Context>((resolve, reject) => {
      const queue = this.#queues.get(name);
      if (queue) {
        queue.push({ change, resolve, reject });
        return;
      }
      this.#queues.set(name, [{ change, resolve, reject }]);
      void this.#pump(name);
    });
  }

  async #pump(name: string): Promise<void> {
    const queue = this.#queues.get(name)!;
    while (queue.length > 0) {
      const batch = queue.splice(0);
      // A change that refuses the version it is given (a run of another creation) fails alone; the
      // others of the batch are still written. Decided afresh on every attempt of the write.
      let refused = new Map<QueuedChange, unknown>();
      const combined = (context: Context) => {
        refused = new Map();
        let current = context;
        for (const item of batch) {
          try {
            current = item.change(structuredClone(current));
          } catch (error) {
            refused.set(item, error);
          }
        }
        if (refused.size === batch.length) throw refused.get(batch[0]!);
        return current;
      };
      try {
        const updated = await updateContext(this.#session, name, combined, this.known.get(name));
        this.known.set(name, updated);
        for (const item of batch) {
          if (refused.has(item)) item.reject(refused.get(item));
          else item.resolve(updated);
        }
      } catch (error) {
        this.known.delete(name);
        for (const item of batch) item.reject(refused.get(item) ?? error);
      }
    }
    this.#queues.delete(name);
  }
}
