import { hasStatus, Status } from "./rpc.js";
import type { Session } from "./session.js";

/**
 * Python's `ensure_default_metadata_store_exists` (VERTEX.md §1.2): GetMetadataStore, and on
 * NOT_FOUND CreateMetadataStore (a long-running operation, awaited); ALREADY_EXISTS means a
 * concurrent creator won, which is fine. Done once per backend instance.
 */
export function ensureStoreOnce(session: Session): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= ensureStore(session).catch((error: unknown) => {
      done = undefined;
      throw error;
    });
    return done;
  };
}

async function ensureStore(session: Session): Promise<void> {
  try {
    await session.call(() => session.md.getMetadataStore({ name: session.store }));
    return;
  } catch (error) {
    if (!hasStatus(error, Status.NOT_FOUND)) throw error;
  }
  const parent = session.store.slice(0, session.store.indexOf("/metadataStores/"));
  const storeId = session.store.slice(session.store.lastIndexOf("/") + 1);
  try {
    await session.call(async () => {
      const [operation] = await session.md.createMetadataStore({
        parent,
        metadataStoreId: storeId,
        metadataStore: {},
      });
      await operation.promise();
    }, false);
  } catch (error) {
    if (!hasStatus(error, Status.ALREADY_EXISTS)) throw error;
  }
}
