// Cutting a label to a width on a canvas. Store strings can be any length (a 100 KB param value is
// a category on a parallel-coordinates axis): trimming one character at a time measured the text
// once per character, O(n²) — a 100,000-character value froze the compare page for minutes.

/** A label never needs more characters than this to fill a chart's axis. */
export const LABEL_CHARS = 200;

/**
 * The longest prefix of `text` that fits `max` pixels with "…" after it (the text itself when it
 * fits). Measures O(log n) times on at most {@link LABEL_CHARS} characters, whatever the input.
 */
export function fitText(measure: (text: string) => number, text: string, max: number): string {
  const long = text.length > LABEL_CHARS;
  const head = long ? text.slice(0, LABEL_CHARS) : text;
  if (!long && measure(head) <= max) return head;
  // Binary search on the prefix length; at least one character stays, as before.
  let lo = 1;
  let hi = head.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(`${head.slice(0, mid)}…`) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${head.slice(0, lo)}…`;
}
