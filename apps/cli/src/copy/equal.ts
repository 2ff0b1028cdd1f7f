import { stringifyJson } from "@exprun/core";

/** Deep equality that treats NaN as NaN (through the NaN-keeping JSON codec) and ignores key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
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
