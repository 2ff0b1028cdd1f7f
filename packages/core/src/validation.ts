import type { BackendCapabilities } from "./backend.js";
import { InvalidTypeError, ValidationError } from "./errors.js";
import { parseIsoTime } from "./filter/parser.js";
import { RUN_STATES, type RunState, type Value } from "./types.js";

/**
 * Keys that JavaScript objects treat specially: one store would drop them, another keep them, a third
 * change an object's prototype. exprun refuses them everywhere (params, metrics, series, tags,
 * metadata), so no store ever silently loses one.
 */
export const RESERVED_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];

/** The largest distance from the epoch a JavaScript `Date` can hold, in ms (±8.64e15: ±275,760 years). */
export const MAX_WALL_TIME = 8.64e15;

export function isReservedKey(key: string): boolean {
  // Cheap first test: the three reserved keys are 9 or 11 characters long.
  return (key.length === 9 || key.length === 11) && RESERVED_KEYS.includes(key);
}

export function reservedKeyError(key: string, what: string): ValidationError {
  return new ValidationError(
    `The key ${JSON.stringify(key)} is not allowed in ${what}: JavaScript objects treat it specially, so ` +
      "not every store could keep it. Rename it (for example with a trailing underscore).",
  );
}

/**
 * A plain object: `{…}` or `Object.create(null)` (from any realm), not an array, a class instance, a
 * `Map` or a `Date`.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Throws `InvalidTypeError` unless `value` is a plain object; `name` says what it is in the message. */
export function requirePlainObject(
  value: unknown,
  name: string,
  expected = "a plain object",
): Record<string, unknown> {
  if (!isPlainObject(value) || Array.isArray(value)) {
    throw new InvalidTypeError(`${name} must be ${expected}; got ${typeName(value)}.`);
  }
  return value;
}

/** The optional options argument of a public method: `undefined` or a plain object. */
export function optionsObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  return requirePlainObject(value, name, "an options object");
}

/**
 * Checks a `logParams`/`logMetrics` dictionary the way Python does (VERTEX.md §2.3) and returns a
 * copy made while checking (each value is read once: the value checked is the value written). Every
 * key a string, every value a number, string or boolean; all keys are checked before anything is
 * written. Non-finite numbers are refused where the backend cannot keep them.
 */
export function snapshotValues(
  what: "params" | "metrics",
  values: unknown,
  capabilities: Pick<BackendCapabilities, "nonFiniteValues">,
  backend: string,
): Record<string, Value> {
  if (!isPlainObject(values) || Array.isArray(values)) {
    throw new InvalidTypeError(`${what} must be a plain object of key → value; got ${typeName(values)}.`);
  }
  const copy: Record<string, Value> = {};
  for (const key of Reflect.ownKeys(values)) {
    if (typeof key !== "string") {
      throw new InvalidTypeError(
        `${String(key)} is of type symbol must of type str. Use string keys in ${what}.`,
      );
    }
    if (isReservedKey(key)) throw reservedKeyError(key, what);
    requireWellFormed(key, `A key in ${what}`);
    const value = (values as Record<string, unknown>)[key];
    if (typeof value === "number") {
      if (!Number.isFinite(value) && !capabilities.nonFiniteValues) {
        throw new ValidationError(
          `Value for key ${key} is ${value}: the ${backend} backend cannot store NaN or ±Infinity in ${what} ` +
            `in a form Python reads back (VERTEX.md §10.4). Log it as a string, or as a time-series metric.`,
          { backend },
        );
      }
    } else if (typeof value === "string") {
      requireWellFormed(value, `The value for key ${key}`);
    } else if (typeof value !== "boolean") {
      throw new InvalidTypeError(
        `Value for key ${key} is of type ${typeName(value)} but must be one of float, int, str ` +
          `(a number, string or boolean).`,
      );
    }
    copy[key] = value;
  }
  return copy;
}

/** {@link snapshotValues} as an assertion (the copy is discarded). */
export function validateValues(
  what: "params" | "metrics",
  values: unknown,
  capabilities: Pick<BackendCapabilities, "nonFiniteValues">,
  backend: string,
): asserts values is Record<string, Value> {
  snapshotValues(what, values, capabilities, backend);
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
    // Checked after the value, inline: this loop runs for every metric of every logged step.
    if ((key.length === 9 || key.length === 11) && isReservedKey(key)) {
      throw reservedKeyError(key, "time-series metrics");
    }
    // A name no read can ask for (`metrics: [""]` is refused) and no TensorBoard series can have, and
    // a name UTF-8 stores would silently change (a lone surrogate becomes U+FFFD).
    if (key.length === 0) {
      throw new ValidationError(
        "A time-series metric name must not be empty: give each metric a name, e.g. { loss: 0.3 }.",
      );
    }
    requireWellFormed(key, "A time-series metric name");
    copy[key] = value;
  }
  return copy;
}

/** Steps are non-negative integers (Vertex stores int64; JavaScript keeps exact integers up to 2^53). */
export function validateStep(step: unknown): asserts step is number {
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new ValidationError(`step must be a non-negative integer; got ${describeValue(step)}.`);
  }
}

/**
 * Wall time: a `Date` or milliseconds since the epoch, within what a `Date` can hold (±8.64e15 ms);
 * returned as whole milliseconds.
 */
export function toWallTime(wallTime: unknown, name = "wallTime"): number {
  const ms = wallTime instanceof Date ? wallTime.getTime() : wallTime;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new ValidationError(
      `${name} must be a Date or milliseconds since the epoch; got ${describeValue(wallTime)}.`,
    );
  }
  const whole = Math.trunc(ms);
  if (whole > MAX_WALL_TIME || whole < -MAX_WALL_TIME) {
    throw new ValidationError(
      `${name} ${whole} is outside the range of a JavaScript Date (±${MAX_WALL_TIME} ms): ` +
        "give milliseconds since the epoch (not microseconds or nanoseconds).",
    );
  }
  return whole;
}

/**
 * A wall time written as text (a CLI flag, a JSON Lines field): whole or fractional milliseconds since
 * the epoch (`1700000000000`), or an ISO 8601 date-time (`2024-01-02T03:04:05Z`; UTC when it has no
 * offset). The one parser the CLI and core share; numbers and Dates are taken as {@link toWallTime}
 * takes them.
 */
export function parseWallTime(value: unknown, name = "wall time"): number {
  if (typeof value !== "string") return toWallTime(value, name);
  const text = value.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return toWallTime(Number(text), name);
  // The filter language's ISO rule, so `--wall-time` and `created > …` read a date the same way.
  const ms = parseIsoTime(text);
  if (ms !== undefined) return toWallTime(ms, name);
  throw new ValidationError(
    `Invalid ${name} ${JSON.stringify(value)}: use milliseconds since the epoch (1700000000000) or an ISO 8601 ` +
      "date-time (2024-01-02T03:04:05Z).",
  );
}

export function validateState(state: unknown): asserts state is RunState {
  parseRunState(state);
}

/**
 * A run or execution state: exactly one of Vertex's names (`NEW`, `RUNNING`, `COMPLETE`, `FAILED`,
 * `CACHED`, `CANCELLED`). The one parser the API and the CLI share; a wrong case is refused with the
 * name it probably meant.
 */
export function parseRunState(state: unknown): RunState {
  if (typeof state === "string" && (RUN_STATES as readonly string[]).includes(state))
    return state as RunState;
  const upper = typeof state === "string" ? state.trim().toUpperCase() : "";
  const meant = (RUN_STATES as readonly string[]).includes(upper) ? ` (did you mean ${upper}?)` : "";
  throw new ValidationError(
    `Unknown state ${describeValue(state)}${meant}: use one of ${RUN_STATES.join(", ")}.`,
  );
}

/** Strings stores write as UTF-8 must be well-formed UTF-16 (no lone surrogates). */
export function requireWellFormed(text: string, what: string): void {
  if (!isWellFormed(text)) {
    throw new ValidationError(
      `${what} contains a lone UTF-16 surrogate, which no store can write as UTF-8: ${JSON.stringify(text.slice(0, 80))}.`,
    );
  }
}

const wellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
function isWellFormed(text: string): boolean {
  if (wellFormed) return wellFormed.call(text);
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    const name = proto?.constructor?.name;
    return typeof name === "string" && name !== "" ? name : "object";
  }
  return typeof value;
}

/** A short, safe description of a value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === "bigint") return `${value}n (a bigint)`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  return `a value of type ${typeName(value)}`;
}
