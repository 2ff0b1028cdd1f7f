import type { Value } from "@exprun/core";
import { safe } from "./safe.js";

/**
 * A value as a table cell: numbers at up to 6 significant digits, booleans as true/false, strings
 * with control characters escaped (they come from a store).
 */
export function formatValue(value: Value | null | undefined, precise = false): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") return formatNumber(value, precise);
  return safe(String(value));
}

export function formatNumber(value: number, precise = false): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (precise || Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  // Fast path: short decimals such as 0.95 print as they are.
  if (abs >= 1e-4 && abs < 1e9) {
    const text = String(value);
    if (text.length <= 8) return text;
  }
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}

/** ISO-8601 UTC without milliseconds, for tables. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Equality that treats NaN as equal to NaN. */
export function sameValue(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (a === 0 && b === 0);
}
