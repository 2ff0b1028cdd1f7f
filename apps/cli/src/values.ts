import { parseIsoTime, RUN_STATES, type RunState, type Value } from "@exprun/core";
import { UsageError } from "./errors.js";

/**
 * Parses `key=value` arguments. Values that read as numbers become numbers (NaN, Infinity and
 * -Infinity included), `true`/`false` become booleans, everything else stays a string; with
 * `asStrings` every value stays a string.
 */
export function parseAssignments(args: string[], asStrings = false): Record<string, Value> {
  if (args.length === 0)
    throw new UsageError("Give at least one key=value pair, e.g. lr=0.1 optimizer=adam.");
  const out: Record<string, Value> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(
        `Expected key=value, got ${JSON.stringify(arg)}. Example: exprun log params --run r lr=0.1`,
      );
    }
    const key = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    out[key] = asStrings ? raw : parseScalar(raw);
  }
  return out;
}

export function parseScalar(raw: string): Value {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (raw === "NaN" || raw === "nan") return Number.NaN;
  if (/^[+]?(inf|Infinity)$/i.test(raw)) return Number.POSITIVE_INFINITY;
  if (/^-(inf|Infinity)$/i.test(raw)) return Number.NEGATIVE_INFINITY;
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

/** Time-series values must be numbers. */
export function parseNumbers(args: string[]): Record<string, number> {
  const values = parseAssignments(args);
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== "number") {
      throw new UsageError(`Time-series value for ${key} must be a number; got ${JSON.stringify(value)}.`);
    }
  }
  return values as Record<string, number>;
}

/** A non-negative integer option such as --limit or --step. */
export function parseCount(name: string, raw: string): number {
  if (!/^\d+$/.test(raw))
    throw new UsageError(`${name} must be a non-negative integer; got ${JSON.stringify(raw)}.`);
  return Number(raw);
}

/** The range of a JavaScript Date (and of every store's wall times): ±8.64e15 ms around the epoch. */
const MAX_TIME = 8.64e15;

/**
 * A wall time as `--wall-time` and `"wall_time"` in `log --jsonl` take it: milliseconds since the
 * epoch (a number, or a string of digits), or an ISO-8601 date string. `what` names the input in the
 * error. An ISO time without an offset is UTC, as in the filter language.
 */
export function parseWallTime(raw: unknown, what = "--wall-time"): number {
  let ms = Number.NaN;
  if (typeof raw === "number") ms = raw;
  else if (typeof raw === "string") {
    const text = raw.trim();
    ms = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : (parseIsoTime(text) ?? Number.NaN);
  }
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_TIME) {
    throw new UsageError(
      `${what} must be milliseconds since the epoch or an ISO date (e.g. 2024-01-31T12:00:00Z); got ${JSON.stringify(raw)}.`,
    );
  }
  return ms;
}

/**
 * A run state, named as core names them: upper case (`COMPLETE`, not `complete`), because core's
 * `updateState` accepts only those, and one spelling is easier to script than two.
 */
export function parseState(raw: unknown, what = "state"): RunState {
  if (typeof raw === "string" && (RUN_STATES as readonly string[]).includes(raw)) return raw as RunState;
  const hint =
    typeof raw === "string" && (RUN_STATES as readonly string[]).includes(raw.toUpperCase())
      ? ` (states are upper case: ${raw.toUpperCase()})`
      : "";
  throw new UsageError(`Unknown ${what} ${JSON.stringify(raw)}${hint}: use one of ${RUN_STATES.join(", ")}.`);
}
