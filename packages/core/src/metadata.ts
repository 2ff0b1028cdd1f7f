import { InvalidTypeError, ValidationError } from "./errors.js";
import type { Metadata, MetadataValue } from "./types.js";
import { isPlainObject, isReservedKey, requireWellFormed, reservedKeyError, typeName } from "./validation.js";

/**
 * How deep metadata may nest. A Vertex Struct costs about three protobuf messages per level and
 * protobuf readers stop at a recursion depth of 100, so 32 levels always read back, in any language.
 */
export const MAX_METADATA_DEPTH = 32;
/** Metadata's size as JSON, in bytes: Vertex's limit for artifact, execution and context metadata (200 KB). */
export const MAX_METADATA_BYTES = 200 * 1024;

export interface MetadataRules {
  /** NaN and ±Infinity are kept (`capabilities.nonFiniteValues`); else a `ValidationError`. */
  nonFiniteValues: boolean;
  backend?: string | undefined;
}

/**
 * Checks that `value` is metadata every store keeps exactly — a plain JSON object (null, booleans,
 * numbers, strings, arrays and plain objects) at most {@link MAX_METADATA_DEPTH} deep and
 * {@link MAX_METADATA_BYTES} as JSON — and returns a copy made while checking, so every property is
 * read once and what was checked is what is written. Dates, BigInts, functions, `undefined`, class
 * instances and cycles are refused with a typed error naming the path.
 */
export function snapshotMetadata(value: unknown, what: string, rules: MetadataRules): Metadata {
  if (!isPlainObject(value) || Array.isArray(value)) {
    throw new InvalidTypeError(`${what} must be a plain JSON object; got ${typeName(value)}.`);
  }
  const walker = new MetadataWalker(what, rules);
  const copy = walker.object(value, what, 1, true);
  // Sizes are counted as the walk goes; the total is JSON's length in UTF-8 bytes (NaN counted as null).
  if (walker.bytes > MAX_METADATA_BYTES) {
    throw new ValidationError(
      `${what} is ${walker.bytes} bytes as JSON, more than the ${MAX_METADATA_BYTES} bytes (200 KB) Vertex AI ` +
        "keeps: store large data as an artifact file and put its URI in the metadata (or downsample a curve).",
      { backend: rules.backend },
    );
  }
  return copy;
}

class MetadataWalker {
  bytes = 0;
  readonly #ancestors = new Set<object>();

  constructor(
    readonly what: string,
    readonly rules: MetadataRules,
  ) {}

  object(value: Record<string, unknown>, path: string, depth: number, top = false): Metadata {
    this.#enter(value, path, depth);
    const copy: Metadata = {};
    let first = true;
    this.bytes += 2;
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key !== "string") {
        throw new InvalidTypeError(
          `${path} has a symbol key (${String(key)}); metadata keys must be strings.`,
        );
      }
      if (isReservedKey(key)) throw reservedKeyError(key, path);
      requireWellFormed(key, `A key of ${path}`);
      if (top && key.trim() !== key) {
        throw new ValidationError(
          `The metadata key ${JSON.stringify(key)} of ${path} starts or ends with spaces, which Vertex AI trims: remove them.`,
          { backend: this.rules.backend },
        );
      }
      const child = this.value(value[key], `${path}.${key}`, depth);
      copy[key] = child;
      this.bytes += utf8Length(JSON.stringify(key)) + 1 + (first ? 0 : 1);
      first = false;
    }
    this.#ancestors.delete(value);
    return copy;
  }

  array(value: unknown[], path: string, depth: number): MetadataValue[] {
    this.#enter(value, path, depth);
    const length = value.length;
    const copy: MetadataValue[] = new Array(length);
    this.bytes += 2 + Math.max(0, length - 1);
    for (let i = 0; i < length; i++) {
      if (!Object.hasOwn(value, i)) {
        throw new InvalidTypeError(
          `${path}[${i}] is a hole in the array; metadata arrays hold JSON values only.`,
        );
      }
      copy[i] = this.value(value[i], `${path}[${i}]`, depth);
    }
    this.#ancestors.delete(value);
    return copy;
  }

  value(value: unknown, path: string, depth: number): MetadataValue {
    switch (typeof value) {
      case "string":
        requireWellFormed(value, path);
        this.bytes += utf8Length(JSON.stringify(value));
        return value;
      case "number":
        if (!Number.isFinite(value) && !this.rules.nonFiniteValues) {
          throw new ValidationError(
            `${path} is ${value}: the ${this.rules.backend ?? "chosen"} backend cannot keep NaN or ±Infinity in ` +
              "metadata (VERTEX.md §10.4). Store it as a string.",
            { backend: this.rules.backend },
          );
        }
        this.bytes += Number.isFinite(value) ? String(value).length : 4;
        return value;
      case "boolean":
        this.bytes += value ? 4 : 5;
        return value;
      case "object":
        if (value === null) {
          this.bytes += 4;
          return null;
        }
        if (Array.isArray(value)) return this.array(value, path, depth + 1);
        if (isPlainObject(value)) return this.object(value, path, depth + 1);
        throw new InvalidTypeError(
          `${path} is a ${typeName(value)}; metadata holds JSON values only (null, booleans, numbers, strings, ` +
            `arrays, plain objects)${value instanceof Date ? ": store a Date as its ISO string or milliseconds" : ""}.`,
        );
      default:
        throw new InvalidTypeError(
          `${path} is ${value === undefined ? "undefined" : `a ${typeof value}`}; metadata holds JSON values only ` +
            `(null, booleans, numbers, strings, arrays, plain objects)${value === undefined ? ": use null" : ""}.`,
        );
    }
  }

  #enter(value: object, path: string, depth: number): void {
    if (this.#ancestors.has(value)) {
      throw new ValidationError(
        `${path} refers back to itself (a cycle); metadata must be a tree of JSON values.`,
      );
    }
    if (depth > MAX_METADATA_DEPTH) {
      throw new ValidationError(
        `${this.what} nests more than ${MAX_METADATA_DEPTH} levels deep (at ${path.slice(0, 200)}…), more than every ` +
          "store can read back: flatten it.",
      );
    }
    this.#ancestors.add(value);
  }
}

function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 code units
      i++;
    } else bytes += 2;
  }
  return bytes;
}
