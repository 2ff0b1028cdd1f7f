import type { BackendCapabilities } from "./backend.js";
import { InvalidTypeError, ValidationError } from "./errors.js";
import { RUN_STATES, type RunState, type Value } from "./types.js";

/**
 * Checks a `logParams`/`logMetrics` dictionary the way Python does (VERTEX.md §2.3): every key a
 * string, every value a number, string or boolean. All keys are checked before anything is
 * written. Non-finite numbers are refused where the backend cannot keep them.
 */
export function validateValues(
  what: "params" | "metrics",
  values: unknown,
  capabilities: BackendCapabilities,
  backend: string,
): asserts values is Record<string, Value> {
  if (typeof values !== "object" || values === null || Array.isArray(values) || values instanceof Map) {
    throw new InvalidTypeError(`${what} must be a plain object of key → value; got ${typeName(values)}.`);
  }
  for (const key of Reflect.ownKeys(values)) {
    if (typeof key !== "string") {
      throw new InvalidTypeError(
        `${String(key)} is of type symbol must of type str. Use string keys in ${what}.`,
      );
    }
    const value = (values as Record<string, unknown>)[key];
    if (typeof value === "number") {
      if (!Number.isFinite(value) && !capabilities.nonFiniteValues) {
        throw new ValidationError(
          `Value for key ${key} is ${value}: the ${backend} backend cannot store NaN or ±Infinity in ${what} ` +
            `in a form Python reads back (VERTEX.md §10.4). Log it as a string, or as a time-series metric.`,
          { backend },
        );
      }
    } else if (typeof value !== "string" && typeof value !== "boolean") {
      throw new InvalidTypeError(
        `Value for key ${key} is of type ${typeName(value)} but must be one of float, int, str ` +
          `(a number, string or boolean).`,
      );
    }
  }
}

/**
 * Time-series values must be numbers (they become doubles); NaN and ±Infinity are allowed. Returns a
 * copy made in the same pass (this runs once per logged step, so it is kept to one loop).
 */
export function copySeriesValues(values: unknown): Record<string, number> {
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new InvalidTypeError(`metrics must be a plain object of metric → number; got ${typeName(values)}.`);
  }
  const copy: Record<string, number> = {};
  for (const key in values) {
    if (!Object.hasOwn(values, key)) continue;
    const value = (values as Record<string, unknown>)[key];
    if (typeof value !== "number") {
      throw new InvalidTypeError(
        `Time-series value for key ${key} is of type ${typeName(value)} but must be a number.`,
      );
    }
    copy[key] = value;
  }
  return copy;
}

/** Steps are non-negative integers (Vertex stores int64; JavaScript keeps exact integers up to 2^53). */
export function validateStep(step: unknown): asserts step is number {
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new ValidationError(`step must be a non-negative integer; got ${String(step)}.`);
  }
}

/** Wall time: a `Date` or milliseconds since the epoch. */
export function toWallTime(wallTime: unknown): number {
  const ms = wallTime instanceof Date ? wallTime.getTime() : wallTime;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new ValidationError(
      `wallTime must be a Date or milliseconds since the epoch; got ${String(wallTime)}.`,
    );
  }
  return Math.trunc(ms);
}

export function validateState(state: unknown): asserts state is RunState {
  if (typeof state !== "string" || !(RUN_STATES as readonly string[]).includes(state)) {
    throw new ValidationError(`Unknown state ${JSON.stringify(state)}: use one of ${RUN_STATES.join(", ")}.`);
  }
}

export interface ClassificationMetricsInput {
  labels?: string[];
  matrix?: number[][];
  fpr?: number[];
  tpr?: number[];
  threshold?: number[];
  displayName?: string;
}

/** The checks and messages of Python's `log_classification_metrics` (VERTEX.md §3.1). */
export function validateClassificationMetrics(input: ClassificationMetricsInput): void {
  const { labels, matrix, fpr, tpr, threshold } = input;
  const given = (v: unknown[] | undefined) => v !== undefined && v.length > 0;
  for (const [name, value] of Object.entries({ labels, matrix, fpr, tpr, threshold })) {
    if (value !== undefined && !Array.isArray(value)) {
      throw new InvalidTypeError(`${name} must be an array; got ${typeName(value)}.`);
    }
  }
  if (given(labels) !== given(matrix)) throw new ValidationError("labels and matrix must be set together.");
  const curve = [given(fpr), given(tpr), given(threshold)];
  if (curve.some(Boolean) && !curve.every(Boolean)) {
    throw new ValidationError("fpr, tpr, and thresholds must be set together.");
  }
  if (given(labels) && labels!.length !== matrix!.length) {
    throw new ValidationError(
      `Length of labels and matrix must be the same. Got lengths ${labels!.length} and ${matrix!.length} respectively.`,
    );
  }
  if (curve[0] && (fpr!.length !== tpr!.length || tpr!.length !== threshold!.length)) {
    throw new ValidationError(
      `Length of fpr, tpr and threshold must be the same. Got lengths ${fpr!.length}, ${tpr!.length} and ` +
        `${threshold!.length} respectively.`,
    );
  }
  if (
    given(matrix) &&
    !matrix!.every((row) => Array.isArray(row) && row.every((v) => typeof v === "number"))
  ) {
    throw new InvalidTypeError("matrix must be an array of rows of numbers.");
  }
  for (const [name, value] of Object.entries({ fpr, tpr, threshold })) {
    if (value?.some((v) => typeof v !== "number"))
      throw new InvalidTypeError(`${name} must contain only numbers.`);
  }
  if (labels?.some((l) => typeof l !== "string"))
    throw new InvalidTypeError("labels must contain only strings.");
}

export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
