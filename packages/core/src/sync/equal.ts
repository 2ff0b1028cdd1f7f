import { stringifyJson } from "../codec.js";

/**
 * Deep equality of values read from stores: NaN equals NaN, -0 differs from 0 (the codec keeps both),
 * key order is ignored, and a number never equals a string that spells it.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return stringifyJson(sortKeys(a)) === stringifyJson(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The keys of `wanted` that `have` lacks or holds with another value (or type); `undefined` when none. */
export function changedEntries<V>(
  wanted: Readonly<Record<string, V>>,
  have: Readonly<Record<string, V>>,
): Record<string, V> | undefined {
  const out: Record<string, V> = {};
  let any = false;
  for (const [key, value] of Object.entries(wanted)) {
    if (!Object.hasOwn(have, key) || !deepEqual(have[key], value)) {
      out[key] = value;
      any = true;
    }
  }
  return any ? out : undefined;
}
