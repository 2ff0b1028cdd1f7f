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

/** Union of claims keyed by version. */
export function joinClaims<T>(into: Dict<T>, from: Dict<T> | undefined): void {
  if (!from) return;
  for (const [v, claim] of Object.entries(from)) if (!(v in into)) into[v] = claim;
}

export function maxVersion(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b > a ? b : a;
}

/** The winning claim: the smallest version above `floor` (a deletion or the parent's creation). */
export function winningClaim<T>(
  claims: Dict<T> | undefined,
  ...floors: (string | undefined)[]
): [string, T] | undefined {
  if (!claims) return undefined;
  let best: [string, T] | undefined;
  for (const [v, claim] of Object.entries(claims)) {
    if (floors.some((floor) => floor !== undefined && v <= floor)) continue;
    if (best === undefined || v < best[0]) best = [v, claim];
  }
  return best;
}

/** Entries of a stamped dict written after `floor` (the current incarnation's creation). */
export function liveEntries<T>(source: Dict<Stamped<T>> | undefined, floor: string): [string, Stamped<T>][] {
  return source ? Object.entries(source).filter(([, s]) => s.v > floor) : [];
}
