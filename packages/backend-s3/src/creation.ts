import { AlreadyExistsError, BackendError } from "@exprun/core";
import { decode, encode } from "./codec.js";
import type { MergedLog } from "./merged-log.js";
import { S3_BACKEND_NAME } from "./options.js";
import { claimObjectCheck } from "./shape.js";
import type { S3Store } from "./store.js";

const backend = S3_BACKEND_NAME;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const MAX_CREATE_ATTEMPTS = 4;

/** What one creation needs to know about its kind of record. */
export interface Creation<D, C> {
  /** `Run "r" in experiment "e"`, for messages. */
  what: string;
  log: MergedLog<D>;
  /** The run a creation delta only touches (its tag and read scope), `""` for experiment-level, undefined for all. */
  run?: string | undefined;
  /**
   * Reads the state: throws when the creation cannot happen (experiment missing), and returns the
   * generation this creation takes, or undefined when the name is taken by a live creation.
   */
  next(data: D): number | undefined;
  /** The claim to write for generation `g`. */
  claim(g: number): C;
  /** The delta holding a claim. */
  delta(v: string, claim: C): D;
  /** Whether the state holds the claim of version `v`. */
  has(data: D, v: string): boolean;
  /** The version of the creation the state stands for (the winner), if any. */
  winner(data: D): string | undefined;
  /** With conditional writes: the key of generation `g`'s creation object. */
  key(g: number): string;
  shape: Parameters<typeof claimObjectCheck>[0];
}

/**
 * Creates a record so that exactly one of racing creators wins, and returns the state after it.
 *
 * With conditional writes: read the log (the name must be free; the read gives the generation),
 * PUT the generation's creation object with `If-None-Match: *` (one winner per generation, decided
 * by the server), then the claim as a delta for readers. A creator that gets 412 has lost, and
 * makes sure the winner's claim is in the log (the winner may have died between its two PUTs).
 * Creation objects are never deleted, so a generation can be won once, ever.
 *
 * Without (claim protocol): read, PUT the claim as a delta, wait `claimSettleMs`, read the claims
 * back: the smallest version of the highest generation wins (see the README for its timing bound).
 */
export async function create<D, C>(store: S3Store, creation: Creation<D, C>): Promise<D> {
  const conditional = await store.conditionalWrites();
  const tag = creation.run === "" ? undefined : creation.run;
  for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt++) {
    const before = await creation.log.read(creation.run);
    const g = creation.next(before.data);
    if (g === undefined) throw alreadyExists(creation.what);
    const version = store.clock.next();
    const claim = creation.claim(g);
    if (conditional) {
      const key = creation.key(g);
      const outcome = await store.transport.put(key, encode({ v: version, claim }), { ifAbsent: true });
      // 412 is also what a retry meets when the first attempt was stored but its answer was lost
      // (a 500 or a dropped connection after the write): the object then holds this creator's version.
      if (outcome === "exists" && (await adopt(store, creation, key, tag, version)) !== version) {
        continue; // the next read shows the winner (AlreadyExists) or, if it was deleted since, the next generation
      }
      await creation.log.append(() => creation.delta(version, claim), { tag, barrier: false });
      return creation.log.current();
    }
    await creation.log.append(() => creation.delta(version, claim), { tag, barrier: false });
    if (store.options.claimSettleMs > 0) await sleep(store.options.claimSettleMs);
    const after = await creation.log.read(creation.run);
    if (creation.winner(after.data) !== version) throw alreadyExists(creation.what);
    return after.data;
  }
  throw new BackendError(
    `Creating ${creation.what} kept racing with deletions of the same name (${MAX_CREATE_ATTEMPTS} attempts). Retry the call.`,
    { backend },
  );
}

/**
 * Puts the winner's claim into the log if it is not there yet (same version, same content:
 * idempotent), and returns the winner's version (undefined when the creation object is gone).
 */
async function adopt<D, C>(
  store: S3Store,
  creation: Creation<D, C>,
  key: string,
  tag: string | undefined,
  mine: string,
): Promise<string | undefined> {
  const body = await store.transport.get(key);
  if (body === undefined) return undefined;
  let parsed: { v: string; claim: C };
  try {
    const value = decode<unknown>(body);
    claimObjectCheck(creation.shape)(value, "claim");
    parsed = value as { v: string; claim: C };
  } catch (error) {
    store.options.onCorruptObject(key, error);
    throw new BackendError(
      `s3://${store.options.bucket}/${key} is not a readable exprun creation object (${error instanceof Error ? error.message : String(error)}), so whether ${creation.what} exists cannot be decided. Restore or delete the object.`,
      { backend, cause: error },
    );
  }
  if (parsed.v === mine) return parsed.v;
  const { data } = await creation.log.read(creation.run);
  if (creation.has(data, parsed.v)) return parsed.v;
  store.clock.observe(parsed.v);
  await creation.log.append(() => creation.delta(parsed.v, parsed.claim), { tag, barrier: false });
  return parsed.v;
}

export function alreadyExists(what: string): AlreadyExistsError {
  return new AlreadyExistsError(`${what} already exists. Choose another name, or get the existing one.`, {
    backend,
  });
}
