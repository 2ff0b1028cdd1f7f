/**
 * Text from a store, made safe for a terminal. A run name, param, metric name or description may
 * hold anything (a store written by another tool, a Vertex display name): ESC[2J clears the screen,
 * OSC 52 writes the clipboard, ESC[8m hides what follows, CR overwrites the line, and bidi
 * overrides reorder it. Every such character is shown as an escape instead: C0 and C1 controls, DEL,
 * and the Unicode line separators and bidi controls, as `\n`, `\r`, `\t` or `\u001b`. `--json`
 * output does not go through this: it is exact JSON (`toJson` writes these characters as `\uXXXX`).
 */
// As strings (a RegExp literal full of control characters is unreadable and trips the linter).
const CONTROLS =
  "\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069";
const UNSAFE = new RegExp(`[\\n${CONTROLS}]`, "g");
const UNSAFE_KEEP_NEWLINES = new RegExp(`[${CONTROLS}]`, "g");
const ANY_UNSAFE = new RegExp(`[\\n${CONTROLS}]`);

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** One line of store text with every control character escaped (newlines too). */
export function safe(text: string): string {
  // Fast path: most names and values have nothing to escape.
  return ANY_UNSAFE.test(text) ? text.replace(UNSAFE, escapeChar) : text;
}

/** Like {@link safe}, but keeps line breaks: for messages that span lines (errors with a caret). */
export function safeLines(text: string): string {
  return ANY_UNSAFE.test(text) ? text.replace(UNSAFE_KEEP_NEWLINES, escapeChar) : text;
}
