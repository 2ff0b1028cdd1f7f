// How values are shown. Everything from the store is rendered as text (never as HTML).
import type { Value } from "./api.js";

const compact = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 6 });
const whole = new Intl.NumberFormat("en-US");

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e9 || abs < 1e-4)) return value.toExponential(4);
  return compact.format(value);
}

/** Compact text of a value; `precise` gives every digit (for tooltips and run pages). */
export function formatValue(value: Value | null | undefined, precise = false): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return precise ? preciseNumber(value) : formatNumber(value);
  return String(value);
}

export function preciseNumber(value: number): string {
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

export function formatCount(n: number): string {
  return whole.format(n);
}

export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return "";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "";
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number(s.toFixed(s < 10 ? 1 : 0))}s`;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s = Math.round(s - m * 60);
  return h ? `${sign}${h}h ${m}m` : `${sign}${m}m ${s}s`;
}

export function timeAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A colour per run, stable for its position, distinguishable for the first dozen. */
const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#c026d3",
  "#65a30d",
  "#b45309",
  "#0f766e",
  "#4f46e5",
  "#be123c",
];
export function runColor(index: number): string {
  if (index < PALETTE.length) return PALETTE[index]!;
  const hue = (index * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 65% 45%)`;
}
