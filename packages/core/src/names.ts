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
  validateNameWith(kind, name, kind === "experiment" ? MIN_EXPERIMENT_NAME_LENGTH : 1);
}

/**
 * What the `Backend` contract guarantees a store about names (`[a-z0-9][a-z0-9-]*`, at most 128):
 * the checked gateway applies this; core's API applies {@link validateName}, which also holds
 * experiments to Vertex's minimum of 4 characters.
 */
export function validateNameShape(kind: "experiment" | "run", name: unknown): asserts name is string {
  validateNameWith(kind, name, 1);
}

function validateNameWith(kind: "experiment" | "run", name: unknown, min: number): asserts name is string {
  if (typeof name !== "string" || name.length === 0) {
    throw new ValidationError(`The ${kind} name must be a non-empty string; got ${describe(name)}.`);
  }
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

/**
 * The TensorBoard run that keeps a run's time series: `{tensorboard}/experiments/{experiment}/runs/{run}`
 * (the Vertex TensorBoard experiment is named after the exprun experiment, its run after the run).
 */
export function tensorboardRunName(tensorboard: string, ref: { experiment: string; run: string }): string {
  return `${tensorboard}/experiments/${ref.experiment}/runs/${ref.run}`;
}

/**
 * The parts of a TensorBoard run resource name written by {@link tensorboardRunName}, or `undefined`
 * when `name` is not one.
 */
export function parseTensorboardRunName(
  name: string,
): { tensorboard: string; experiment: string; run: string } | undefined {
  const match = /^(.+)\/experiments\/([^/]+)\/runs\/([^/]+)$/.exec(name);
  if (!match) return undefined;
  return { tensorboard: match[1]!, experiment: match[2]!, run: match[3]! };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}
