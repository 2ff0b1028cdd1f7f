export interface TableOptions {
  head: string[];
  rows: string[][];
  /** Columns whose cells are right-aligned (numbers). */
  numeric?: boolean[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences start with ESC.
const ANSI = /\u001b\[[0-9;]*m/g;

/** Visible width: colour codes do not count; one column per code point. */
export function visibleWidth(text: string): number {
  // Fast path: plain printable ASCII (no colour codes) is one column per character.
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) {
    const c = text.charCodeAt(i);
    ascii = c >= 0x20 && c <= 0x7e;
  }
  if (ascii) return text.length;
  let width = 0;
  for (const _ of text.replace(ANSI, "")) width++;
  return width;
}

/**
 * A bordered table as text (no trailing newline): a rule under the header, none between rows.
 * Cells may hold several lines. Written by hand because it renders thousands of rows in a few ms.
 */
export function renderTable(options: TableOptions): string {
  const { head, rows } = options;
  // Each cell as its lines, each line with its width (measured once).
  type Line = { text: string; width: number };
  const split = (row: string[]): Line[][] =>
    head.map((_, i) => (row[i] ?? "").split("\n").map((text) => ({ text, width: visibleWidth(text) })));
  const body = rows.map(split);
  const header = split(head);
  const widths = head.map((_, i) => {
    let w = 0;
    for (const line of header[i]!) w = Math.max(w, line.width);
    for (const row of body) for (const line of row[i]!) w = Math.max(w, line.width);
    return w;
  });
  const pad = (line: Line | undefined, i: number, right: boolean) => {
    if (!line) return " ".repeat(widths[i]!);
    const gap = " ".repeat(widths[i]! - line.width);
    return right ? gap + line.text : line.text + gap;
  };
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const out: string[] = [rule("┌", "┬", "┐")];
  const emit = (cells: Line[][], alignRight: boolean) => {
    const height = Math.max(1, ...cells.map((c) => c.length));
    for (let line = 0; line < height; line++) {
      out.push(
        `│ ${cells.map((c, i) => pad(c[line], i, alignRight && options.numeric?.[i] === true)).join(" │ ")} │`,
      );
    }
  };
  emit(header, false);
  out.push(rule("├", "┼", "┤"));
  for (const row of body) emit(row, true);
  out.push(rule("└", "┴", "┘"));
  return out.join("\n");
}

/** Key/value pairs as a two-column table. */
export function renderPairs(head: [string, string], pairs: [string, string][]): string {
  return renderTable({ head, rows: pairs });
}
