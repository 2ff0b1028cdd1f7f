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
  const split = (row: string[]) => head.map((_, i) => (row[i] ?? "").split("\n"));
  const body = rows.map(split);
  const header = split(head);
  const widths = head.map((_, i) => {
    let w = 0;
    for (const line of header[i]!) w = Math.max(w, visibleWidth(line));
    for (const row of body) for (const line of row[i]!) w = Math.max(w, visibleWidth(line));
    return w;
  });
  const pad = (text: string, i: number, right: boolean) => {
    const gap = " ".repeat(widths[i]! - visibleWidth(text));
    return right ? gap + text : text + gap;
  };
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const out: string[] = [rule("┌", "┬", "┐")];
  const emit = (cells: string[][], alignRight: boolean) => {
    const height = Math.max(1, ...cells.map((c) => c.length));
    for (let line = 0; line < height; line++) {
      out.push(
        `│ ${cells.map((c, i) => pad(c[line] ?? "", i, alignRight && options.numeric?.[i] === true)).join(" │ ")} │`,
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
