import type { Value } from "@exprun/core";
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
    // Defined, not assigned: `out["__proto__"] = v` would set the prototype and drop the key, and the
    // CLI would report fewer params than given. As an own key, core rejects it with its own message.
    Object.defineProperty(out, key, {
      value: asStrings ? raw : parseScalar(raw),
      enumerable: true,
      writable: true,
      configurable: true,
    });
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
