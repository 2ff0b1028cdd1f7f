import { stringifyJson } from "@exprun/core";

/**
 * Machine output: JSON with NaN and ±Infinity kept as `{"$float":"NaN"}` (core's codec) and
 * dates as ISO-8601 strings. Two-space indentation so that it is also readable.
 */
export function toJson(value: unknown, indent = 2): string {
  return stringifyJson(normalise(value), indent);
}

function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalise(v);
    return out;
  }
  return value;
}

/** Milliseconds since the epoch as ISO-8601. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
