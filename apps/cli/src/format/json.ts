import { stringifyJson } from "@exprun/core";

// JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B is CSI on some terminals)
// and bidi overrides (U+202E reverses what follows) raw, so `--json` read on a terminal could be
// reordered or drive it. As \uXXXX they are the same JSON (they only occur inside strings), and safe.
const DISPLAY_RANGE = "\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069";
const DISPLAY_CONTROL = new RegExp(`[${DISPLAY_RANGE}]`);
const DISPLAY_CONTROLS = new RegExp(`[${DISPLAY_RANGE}]`, "g");

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * Machine output: JSON with NaN and ±Infinity kept as `{"$float":"NaN"}` (core's codec) and
 * dates as ISO-8601 strings. Two-space indentation so that it is also readable.
 */
export function toJson(value: unknown, indent = 2): string {
  const text = stringifyJson(normalise(value), indent);
  return DISPLAY_CONTROL.test(text) ? text.replace(DISPLAY_CONTROLS, unicodeEscape) : text;
}

function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalise(v);
    return out;
  }
  return value;
}

/** Milliseconds since the epoch as ISO-8601. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
