/**
 * JSON that keeps what plain JSON drops: NaN, Infinity and -Infinity. Stores that keep records
 * as JSON text (file, S3, your own) use these so that every value round-trips exactly.
 *
 * A non-finite number is written as `{"$float":"NaN"}` (or `"Infinity"`, `"-Infinity"`), and
 * negative zero as `{"$float":"-0"}`; every other value is plain JSON, so other tools can read the files.
 */

const TAG = "$float";

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && (!Number.isFinite(value) || Object.is(value, -0)))
    return { [TAG]: tagOf(value) };
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
      if (tagged === "-0") return -0;
    }
  }
  return value;
}

/** `JSON.stringify` that keeps NaN, ±Infinity and -0 (as `{"$float": …}`). */
export function stringifyJson(value: unknown, space?: number): string {
  return JSON.stringify(value, replacer, space);
}

/** `JSON.parse` that restores what {@link stringifyJson} wrote. Throws `SyntaxError` on bad JSON. */
export function parseJson<T = unknown>(text: string): T {
  return JSON.parse(text, reviver) as T;
}

/** Fast path for one number: what {@link stringifyJson} writes for it. */
export function numberToJson(value: number): string {
  return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : `{"${TAG}":"${tagOf(value)}"}`;
}

function tagOf(value: number): string {
  return Object.is(value, -0) ? "-0" : String(value);
}
