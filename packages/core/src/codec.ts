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

/**
 * What {@link stringifyJson} writes for `value`, as a value instead of text (deep, a fresh copy): for
 * stores that build JSON text themselves or parse with plain `JSON.parse` and decode only the fields
 * that can hold tags. `JSON.stringify(encodeJsonValue(v))` is `stringifyJson(v)`.
 */
export function encodeJsonValue(value: unknown): unknown {
  const encoded = replacer("", value);
  if (typeof encoded !== "object" || encoded === null) return encoded;
  if (Array.isArray(encoded)) return encoded.map(encodeJsonValue);
  const out: Record<string, unknown> = {};
  for (const key in encoded) {
    if (!Object.hasOwn(encoded, key)) continue;
    define(out, key, encodeJsonValue((encoded as Record<string, unknown>)[key]));
  }
  return out;
}

/**
 * The inverse of {@link encodeJsonValue} on plain `JSON.parse` output (deep, a fresh copy):
 * `decodeJsonValue(JSON.parse(text))` is `parseJson(text)`. Tags become numbers, escaped tag-like
 * objects lose one `$`, every other object is kept as it is (`{ $float: "NaN", other: 1 }` included).
 */
export function decodeJsonValue(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(decodeJsonValue);
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    define(out, key, decodeJsonValue((value as Record<string, unknown>)[key]));
  }
  return reviver("", out);
}

/** Sets an own key (`__proto__` included, as `JSON.parse` would). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
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
