import { ValidationError } from "./errors.js";

/** Vertex resource ids: lowercase letters, digits and hyphens, starting with a letter or digit. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
/** Vertex caps `{experiment}-{run}` at 128 − len("-tb-run") characters (VERTEX.md §1.1). */
export const MAX_RUN_RESOURCE_ID_LENGTH = 121;
export const MAX_NAME_LENGTH = 128;
/**
 * Vertex context ids have 4-128 characters, and an experiment's id is its name; a shorter name would be
 * refused by Vertex (and could not be copied there), so every store refuses it.
 */
export const MIN_EXPERIMENT_NAME_LENGTH = 4;

/** Throws `ValidationError` unless `name` is a valid experiment or run name. */
export function validateName(kind: "experiment" | "run", name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0) {
    throw new ValidationError(`The ${kind} name must be a non-empty string; got ${describe(name)}.`);
  }
  const min = kind === "experiment" ? MIN_EXPERIMENT_NAME_LENGTH : 1;
  if (name.length < min || name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name)) {
    throw new ValidationError(
      `Invalid ${kind} name ${JSON.stringify(name)}: use ${min}-${MAX_NAME_LENGTH} lowercase letters, digits and ` +
        `hyphens, starting with a letter or digit (Vertex AI resource ids), e.g. "my-${kind}-1".`,
    );
  }
}

/** The run's resource id, `{experiment}-{run}`, checked against Vertex's 121-character limit. */
export function runResourceId(experiment: string, run: string): string {
  const id = `${experiment}-${run}`;
  if (id.length > MAX_RUN_RESOURCE_ID_LENGTH) {
    throw new ValidationError(
      `Length of Experiment ID and Run ID cannot be greater than ${MAX_RUN_RESOURCE_ID_LENGTH}. ` +
        `${id} is of length ${id.length}. Use a shorter run name.`,
    );
  }
  return id;
}

/**
 * Defence in depth for stores that turn names into paths or keys: throws unless `segment` is a
 * plain name that cannot address anything outside its parent (no separators, no dot segments).
 */
export function assertSafeSegment(segment: string, backend: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(segment) || segment.includes("..") || segment.length > 255) {
    throw new ValidationError(
      `Refusing the name ${JSON.stringify(segment)}: it could address data outside the store.`,
      {
        backend,
      },
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}
