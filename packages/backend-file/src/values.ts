import {
  decodeJsonValue,
  encodeJsonValue,
  type Metadata,
  type MetadataValue,
  type Value,
} from "@exprun/core";

/**
 * Records are parsed with plain `JSON.parse` (a reviver would triple the cost of a 10,000-run read)
 * and the few places that can hold NaN/±Infinity are decoded afterwards. The tag is the one core's
 * codec writes: `{"$float":"NaN"}`, `{"$float":"Infinity"}`, `{"$float":"-Infinity"}`.
 */
const TAG = "$float";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Numbers plain JSON cannot carry: NaN, ±Infinity, and -0 (which `JSON.stringify` writes as 0). */
function needsTag(value: number): boolean {
  return !Number.isFinite(value) || Object.is(value, -0);
}

export function encodeNumber(value: number): number | { [TAG]: string } {
  if (!needsTag(value)) return value;
  return { [TAG]: Object.is(value, -0) ? "-0" : String(value) };
}

/** A number as JSON text, for hand-built lines: -0 stays -0 (valid JSON), non-finite numbers are tagged. */
export function numberText(value: number): string {
  if (Object.is(value, -0)) return "-0";
  return Number.isFinite(value) ? String(value) : `{"${TAG}":"${String(value)}"}`;
}

/** What a stored scalar means: a tagged non-finite number becomes the number again. */
export function decodeScalar(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const tagged = (value as Record<string, unknown>)[TAG];
  if (tagged === "NaN") return Number.NaN;
  if (tagged === "Infinity") return Number.POSITIVE_INFINITY;
  if (tagged === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (tagged === "-0") return -0;
  return value;
}

/** Params or metrics ready for `JSON.stringify`: the same object when every number is finite. */
export function encodeValues(values: Record<string, Value>): Record<string, Json> {
  for (const key in values) {
    const v = values[key];
    if (typeof v === "number" && needsTag(v)) {
      const out: Record<string, Json> = {};
      for (const k in values) {
        const x = values[k]!;
        out[k] = typeof x === "number" ? encodeNumber(x) : x;
      }
      return out;
    }
  }
  return values;
}

/** Decodes params or metrics parsed from a record, in place. */
export function decodeValues(values: Record<string, unknown>): Record<string, Value> {
  for (const key in values) {
    const v = values[key];
    if (typeof v === "object" && v !== null) values[key] = decodeScalar(v);
  }
  return values as Record<string, Value>;
}

/** Metadata ready for `JSON.stringify` (deep): core's codec, so user objects shaped like a tag are escaped. */
export function encodeDeep(value: MetadataValue): Json {
  return encodeJsonValue(value) as Json;
}

/** Decodes metadata parsed from a record (deep, returns a fresh value): core's codec, the inverse of {@link encodeDeep}. */
export function decodeDeep(value: unknown): MetadataValue {
  return decodeJsonValue(value) as MetadataValue;
}

export function decodeMetadata(value: unknown): Metadata {
  const decoded = decodeDeep(value ?? {});
  return typeof decoded === "object" && decoded !== null && !Array.isArray(decoded) ? decoded : {};
}

/** A deep copy of metadata (records handed out are fresh copies). */
export function copyMetadata(value: Metadata): Metadata {
  return structuredClone(value);
}
