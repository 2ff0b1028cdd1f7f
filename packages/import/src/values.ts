import type { Value } from "@exprun/core";
import JSON5 from "json5";

const NON_FINITE: Record<string, number> = {
  nan: Number.NaN,
  "+nan": Number.NaN,
  "-nan": Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  "+inf": Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  "+infinity": Number.POSITIVE_INFINITY,
  "-inf": Number.NEGATIVE_INFINITY,
  "-infinity": Number.NEGATIVE_INFINITY,
};

/**
 * A float as Python's `str(float)` writes it, `nan`, `inf` and `-inf` included (JavaScript's
 * `Number("inf")` is NaN). `undefined` for text that is not a number. Called once per metric line,
 * so the common case is one `Number()`.
 */
export function parsePythonFloat(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const n = Number(trimmed);
  if (!Number.isNaN(n)) {
    // Number() also reads "0x1f", "0b1", "0o7", which are not Python floats.
    const c1 = trimmed.charCodeAt(1) | 32;
    if (trimmed.charCodeAt(0) === 48 && (c1 === 120 || c1 === 98 || c1 === 111)) return undefined;
    return n;
  }
  return NON_FINITE[trimmed.toLowerCase()];
}

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const FRACTION = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A param stored as text (MLflow keeps every param as `str(value)`) as the value it most likely was:
 * integers and decimals in Python's notation become numbers ("32", "0.001", "1e-05"), "True"/"False"
 * become booleans, and everything else stays text — so are "007", "1_000", "nan", "inf" and integers
 * too large to be exact in JavaScript.
 */
export function inferParamValue(text: string): Value {
  if (INTEGER.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (FRACTION.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (text === "True" || text === "true") return true;
  if (text === "False" || text === "false") return false;
  return text;
}

/**
 * JSON as Python's `json.dumps` writes it, which may hold the bare tokens `NaN`, `Infinity` and
 * `-Infinity` (W&B's `value_json`, `wandb-summary.json`). Plain JSON takes the fast path; the rare
 * text with those tokens goes through JSON5, which reads them. Throws `SyntaxError` on bad JSON.
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    return JSON5.parse(text);
  }
}
