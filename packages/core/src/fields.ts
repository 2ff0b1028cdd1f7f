/**
 * The checks of every field a store keeps besides params, metrics and metadata: resource ids, display
 * names, descriptions, schema titles and versions, URIs, states, tags, times, run references and page
 * requests. Each takes the raw value, reads it once and returns what is to be written.
 */
import { InvalidTypeError, ValidationError } from "./errors.js";
import { validateNameShape } from "./names.js";
import { ARTIFACT_STATES, type ArtifactState, type PageRequest, RUN_TYPES, type RunRef } from "./types.js";
import {
  describeValue,
  isPlainObject,
  isReservedKey,
  requireWellFormed,
  reservedKeyError,
  toWallTime,
  typeName,
} from "./validation.js";

/** Display names: Vertex keeps up to 128 Unicode characters. */
export const MAX_DISPLAY_NAME_LENGTH = 128;
/** Descriptions of experiments, runs, artifacts and executions, in characters. */
export const MAX_DESCRIPTION_LENGTH = 65_536;
/** Artifact URIs, in characters. */
export const MAX_URI_LENGTH = 8_192;
/** Schema titles (`system.Model`) and versions (`0.0.1`), in characters. */
export const MAX_SCHEMA_LENGTH = 128;
/** Vertex resource ids for artifacts and executions: 4-128 of `[a-z0-9-]`, starting with a letter or digit. */
export const RESOURCE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{3,127}$/;
/** Tag keys on every store, in characters. */
export const MAX_TAG_KEY_LENGTH = 256;
/** Tag values on every store, in characters. */
export const MAX_TAG_VALUE_LENGTH = 65_536;
/** Vertex label rules (`capabilities.tagsAsLabels`): keys and values at most 63 of `[a-z0-9_-]`, at most 64 labels. */
export const LABEL_PATTERN = /^[a-z0-9_-]{0,63}$/;
export const MAX_LABELS = 64;

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

function requireString(value: unknown, name: string): string {
  if (typeof value !== "string")
    throw new InvalidTypeError(`${name} must be a string; got ${typeName(value)}.`);
  return value;
}

/** A free-text field (display name, description): a well-formed string of bounded length. */
export function checkText(value: unknown, name: string, max: number): string {
  const text = requireString(value, name);
  if (text.length > max && [...text].length > max) {
    throw new ValidationError(`${name} has ${[...text].length} characters; at most ${max} are kept.`);
  }
  requireWellFormed(text, name);
  return text;
}

export function checkDisplayName(value: unknown, name = "displayName"): string {
  return checkText(value, name, MAX_DISPLAY_NAME_LENGTH);
}

export function checkDescription(value: unknown, name = "description"): string {
  return checkText(value, name, MAX_DESCRIPTION_LENGTH);
}

/** A name that refers to something by text (a TensorBoard, a child's resource name, a page token). */
export function checkReference(value: unknown, name: string, max = 1024): string {
  const text = requireString(value, name);
  if (text === "" || text.length > max || CONTROL.test(text) || text.trim() !== text) {
    throw new ValidationError(
      `${name} must be a non-empty string of at most ${max} characters without spaces at its ends or control ` +
        `characters; got ${describeValue(text)}.`,
    );
  }
  requireWellFormed(text, name);
  return text;
}

/** An artifact or execution id given on create: a Vertex resource id. */
export function checkResourceId(value: unknown, kind: string): string {
  const id = requireString(value, `The ${kind} id`);
  if (!RESOURCE_ID_PATTERN.test(id)) {
    throw new ValidationError(
      `Invalid ${kind} id ${describeValue(id)}: use 4-128 lowercase letters, digits and hyphens, starting with a ` +
        `letter or digit (Vertex AI resource ids), or leave it out to get a generated one.`,
    );
  }
  return id;
}

/** An artifact or execution id given to a read or a link: any id a store may hold. */
export function checkIdRef(value: unknown, kind: string): string {
  return checkReference(value, `The ${kind} id`, 1024);
}

export function checkIdList(value: unknown, kind: string, name: string): string[] {
  if (!Array.isArray(value))
    throw new InvalidTypeError(`${name} must be an array of ${kind} ids; got ${typeName(value)}.`);
  const ids: string[] = [];
  for (let i = 0; i < value.length; i++) ids.push(checkIdRef(value[i], kind));
  return ids;
}

export function checkSchemaTitle(value: unknown, name = "schemaTitle"): string {
  const title = requireString(value, name);
  if (title === "" || title.length > MAX_SCHEMA_LENGTH || !/^[A-Za-z0-9_][\w.-]*$/.test(title)) {
    throw new ValidationError(
      `Invalid ${name} ${describeValue(title)}: use letters, digits, "_", "." and "-", e.g. "system.Dataset".`,
    );
  }
  return title;
}

/** A schema version: `""` (Python's generic resources) or e.g. `0.0.1`. */
export function checkSchemaVersion(value: unknown, name = "schemaVersion"): string {
  const version = requireString(value, name);
  if (version.length > MAX_SCHEMA_LENGTH || !/^[\w.+-]*$/.test(version)) {
    throw new ValidationError(`Invalid ${name} ${describeValue(version)}: use a version such as "0.0.1".`);
  }
  return version;
}

export function checkUri(value: unknown): string {
  const uri = requireString(value, "uri");
  if (uri.length > MAX_URI_LENGTH || CONTROL.test(uri)) {
    throw new ValidationError(
      `Invalid uri ${describeValue(uri)}: a URI is at most ${MAX_URI_LENGTH} characters without control characters.`,
    );
  }
  requireWellFormed(uri, "uri");
  return uri;
}

export function checkArtifactState(value: unknown): ArtifactState {
  if (typeof value === "string" && (ARTIFACT_STATES as readonly string[]).includes(value)) {
    return value as ArtifactState;
  }
  throw new ValidationError(
    `Unknown artifact state ${describeValue(value)}: use one of ${ARTIFACT_STATES.join(", ")}.`,
  );
}

export function checkRunType(value: unknown): string {
  if (typeof value === "string" && (RUN_TYPES as readonly string[]).includes(value)) return value;
  throw new ValidationError(`Unknown run type ${describeValue(value)}: use one of ${RUN_TYPES.join(", ")}.`);
}

/** A create or update time: milliseconds since the epoch (or a Date) within a Date's range. */
export function checkTime(value: unknown, name: string): number {
  return toWallTime(value, name);
}

/** A run reference: valid names, and an incarnation when one is given. Returns a fresh, frozen copy. */
export function checkRunRef(value: unknown): RunRef {
  if (!isPlainObject(value)) {
    throw new InvalidTypeError(`A run reference must be { experiment, run }; got ${typeName(value)}.`);
  }
  const experiment = value.experiment;
  const run = value.run;
  const incarnation = value.incarnation;
  validateNameShape("experiment", experiment);
  validateNameShape("run", run);
  if (incarnation === undefined || incarnation === "") return Object.freeze({ experiment, run });
  return Object.freeze({ experiment, run, incarnation: checkReference(incarnation, "incarnation", 256) });
}

export function checkPageRequest<T extends PageRequest>(value: unknown, name = "page"): T {
  if (value === undefined) return {} as T;
  if (!isPlainObject(value))
    throw new InvalidTypeError(`${name} must be { pageSize, pageToken }; got ${typeName(value)}.`);
  const request: PageRequest = {};
  const pageSize = value.pageSize;
  const pageToken = value.pageToken;
  if (pageSize !== undefined) {
    if (typeof pageSize !== "number" || !Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new ValidationError(`pageSize must be a positive integer; got ${describeValue(pageSize)}.`);
    }
    request.pageSize = pageSize;
  }
  if (pageToken !== undefined && pageToken !== "")
    request.pageToken = checkReference(pageToken, "pageToken", 4096);
  return request as T;
}

export interface TagRules {
  /** `capabilities.tagsAsLabels`: Vertex label rules apply. */
  labels: boolean;
  backend?: string | undefined;
}

/** A tag key, on any store, and under Vertex label rules when `rules.labels`. */
export function checkTagKey(value: unknown, rules: TagRules): string {
  const key = requireString(value, "A tag key");
  if (key === "") throw new ValidationError("A tag key must not be empty.");
  if (isReservedKey(key)) throw reservedKeyError(key, "tags");
  if (key.length > MAX_TAG_KEY_LENGTH) {
    throw new ValidationError(
      `The tag key ${describeValue(key)} is longer than ${MAX_TAG_KEY_LENGTH} characters.`,
    );
  }
  requireWellFormed(key, "A tag key");
  if (rules.labels && !LABEL_PATTERN.test(key)) throw labelError("key", key, rules.backend);
  return key;
}

export function checkTagValue(key: string, value: unknown, rules: TagRules): string {
  if (typeof value !== "string") {
    throw new InvalidTypeError(`The value of tag ${key} must be a string; got ${typeName(value)}.`);
  }
  if (value.length > MAX_TAG_VALUE_LENGTH) {
    throw new ValidationError(`The value of tag ${key} is longer than ${MAX_TAG_VALUE_LENGTH} characters.`);
  }
  requireWellFormed(value, `The value of tag ${key}`);
  if (rules.labels && !LABEL_PATTERN.test(value)) throw labelError("value", value, rules.backend, key);
  return value;
}

function labelError(
  what: "key" | "value",
  text: string,
  backend: string | undefined,
  key?: string,
): ValidationError {
  const subject =
    what === "key" ? `The tag key ${describeValue(text)}` : `The value ${describeValue(text)} of tag ${key}`;
  return new ValidationError(
    `${subject} breaks the ${backend ?? "store"}'s label rules: tags are stored as Vertex AI labels, whose keys ` +
      "and values are at most 63 lowercase letters, digits, underscores or hyphens (keys not empty).",
    { backend },
  );
}

/**
 * A tags patch: `{ key: "value" }` sets, `{ key: null }` deletes. Returns a fresh copy.
 */
export function checkTagsPatch(value: unknown, rules: TagRules): Record<string, string | null> {
  if (!isPlainObject(value)) {
    throw new InvalidTypeError(`tags must be a plain object of string → string; got ${typeName(value)}.`);
  }
  const copy: Record<string, string | null> = {};
  for (const raw of Reflect.ownKeys(value)) {
    if (typeof raw !== "string") throw new InvalidTypeError("Tag keys must be strings, not symbols.");
    const key = checkTagKey(raw, rules);
    const tagValue = value[raw];
    copy[key] = tagValue === null ? null : checkTagValue(key, tagValue, rules);
  }
  return copy;
}

/** Throws when `tags` would hold more labels than Vertex keeps. */
export function checkLabelCount(count: number, backend: string | undefined): void {
  if (count > MAX_LABELS) {
    throw new ValidationError(
      `A run would have ${count} tags; the ${backend ?? "store"} keeps at most ${MAX_LABELS} (they are Vertex AI labels).`,
      { backend },
    );
  }
}
