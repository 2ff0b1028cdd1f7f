/**
 * JSON that keeps what plain JSON drops: NaN, Infinity and -Infinity. Stores that keep records
 * as JSON text (file, S3, your own) use these so that every value round-trips exactly.
 *
 * A non-finite number is written as `{"$float":"NaN"}` (or `"Infinity"`, `"-Infinity"`); every
 * other value is plain JSON, so other tools can read the files.
 */

const TAG = "$float";

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return { [TAG]: String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === TAG) {
      const tagged = (value as Record<string, unknown>)[TAG];
      if (tagged === "NaN") return Number.NaN;
      if (tagged === "Infinity") return Number.POSITIVE_INFINITY;
      if (tagged === "-Infinity") return Number.NEGATIVE_INFINITY;
    }
  }
  return value;
}

/** `JSON.stringify` that keeps NaN and ±Infinity (as `{"$float": …}`). */
export function stringifyJson(value: unknown, space?: number): string {
  return JSON.stringify(value, replacer, space);
}

/** `JSON.parse` that restores what {@link stringifyJson} wrote. Throws `SyntaxError` on bad JSON. */
export function parseJson<T = unknown>(text: string): T {
  return JSON.parse(text, reviver) as T;
}

/** Fast path for one number: what {@link stringifyJson} writes for it. */
export function numberToJson(value: number): string {
  return Number.isFinite(value) ? String(value) : `{"${TAG}":"${String(value)}"}`;
}
