/**
 * JSON that keeps what plain JSON drops: NaN, Infinity and -Infinity. Stores that keep records
 * as JSON text (file, S3, your own) use these so that every value round-trips exactly.
 *
 * A non-finite number is written as `{"$float":"NaN"}` (or `"Infinity"`, `"-Infinity"`), and
 * negative zero as `{"$float":"-0"}`; every other value is plain JSON, so other tools can read the files.
 *
 * Escape: a user object that looks like a tag — exactly one key of the form `$float`, `$$float`,
 * `$$$float`, … — is written with one more `$` in that key (`{ $float: "NaN" }` as `{"$$float":"NaN"}`),
 * and read back with one `$` removed, so it round-trips as the object it is. Files written before the
 * escape existed read the same, except a single-key `{"$$float": …}` object, which now reads as
 * `{"$float": …}` (such an object had no reason to exist).
 */

const TAG = "$float";
const TAG_LIKE = /^\$+float$/;

/** The single key of `value` when it has exactly one own enumerable key, else `undefined`. */
function onlyKey(value: object): string | undefined {
  let only: string | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (only !== undefined) return undefined;
    only = key;
  }
  return only;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "number") {
    return !Number.isFinite(value) || Object.is(value, -0) ? { [TAG]: tagOf(value) } : value;
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const key = onlyKey(value);
    if (key !== undefined && TAG_LIKE.test(key)) {
      return { [`$${key}`]: (value as Record<string, unknown>)[key] };
    }
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const key = onlyKey(value);
    if (key === TAG) {
      const tagged = (value as Record<string, unknown>)[TAG];
      if (tagged === "NaN") return Number.NaN;
      if (tagged === "Infinity") return Number.POSITIVE_INFINITY;
      if (tagged === "-Infinity") return Number.NEGATIVE_INFINITY;
      if (tagged === "-0") return -0;
    } else if (key !== undefined && TAG_LIKE.test(key)) {
      return { [key.slice(1)]: (value as Record<string, unknown>)[key] };
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
