import type { Dict } from "./dict.js";

/**
 * Join helpers for the store's replicated state. Every object in the store (delta or snapshot) is a
 * partial state; the store's state is the join of all of them. Joins are commutative, associative
 * and idempotent, so objects can be read in any order, twice, or after being folded into a
 * snapshot, and the result is the same.
 */

/** A value with the version of the write that set it: the larger version wins. */
export interface Stamped<T> {
  v: string;
  x: T;
}

export function joinStamped<T>(a: Stamped<T> | undefined, b: Stamped<T> | undefined): Stamped<T> | undefined {
  if (b === undefined) return a;
  if (a === undefined || b.v > a.v) return b;
  return a;
}

/** Per key, the larger version wins. */
export function joinStampedDict<T>(into: Dict<Stamped<T>>, from: Dict<Stamped<T>> | undefined): void {
  if (!from) return;
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    if (current === undefined || value.v > current.v) into[key] = value;
  }
}

/** Per key, the smaller version wins (first added). */
export function joinFirstDict(into: Dict<string>, from: Dict<string> | undefined): void {
  if (!from) return;
  for (const [key, v] of Object.entries(from)) {
    const current = into[key];
    if (current === undefined || v < current) into[key] = v;
  }
}

/** Per key, the smaller version wins, carrying its value. */
export function joinFirstStampedDict<T>(into: Dict<Stamped<T>>, from: Dict<Stamped<T>> | undefined): void {
  if (!from) return;
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    if (current === undefined || value.v < current.v) into[key] = value;
  }
}

/** Union of claims keyed by version (one version, one content). */
export function joinClaims<T>(into: Dict<T>, from: Dict<T> | undefined): void {
  if (!from) return;
  for (const [v, claim] of Object.entries(from)) if (!(v in into)) into[v] = claim;
}

/**
 * The creation a set of claims stands for: the highest generation (each creation after a deletion
 * claims the next one), and within it the smallest version (the claim protocol's racers; with
 * conditional writes a generation has exactly one claim). `alive` unless that creation was deleted.
 */
export function currentClaim<C extends { g: number }>(
  claims: Dict<C> | undefined,
  deleted: Dict<string> | undefined,
  accept: (claim: C) => boolean = () => true,
): { v: string; claim: C; alive: boolean } | undefined {
  if (!claims) return undefined;
  let best: [string, C] | undefined;
  for (const [v, claim] of Object.entries(claims)) {
    if (!accept(claim)) continue;
    if (best === undefined || claim.g > best[1].g || (claim.g === best[1].g && v < best[0]))
      best = [v, claim];
  }
  if (!best) return undefined;
  return { v: best[0], claim: best[1], alive: deleted?.[best[0]] === undefined };
}

/** Entries of a stamped dict, values only, as a plain object (what users receive). */
export function stampedValues<T>(source: Dict<Stamped<T>> | undefined): [string, T][] {
  return source ? Object.entries(source).map(([key, stamp]) => [key, stamp.x]) : [];
}
