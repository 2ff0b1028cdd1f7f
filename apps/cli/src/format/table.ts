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
  const { head } = options;
  const columns = head.length;
  const header = physicalRows(head, columns);
  const body: string[][] = [];
  for (const row of options.rows) for (const line of physicalRows(row, columns)) body.push(line);
  const widths: number[] = new Array(columns).fill(0);
  const measure = (row: string[]) => {
    const sizes = new Array<number>(columns);
    for (let i = 0; i < columns; i++) {
      const w = visibleWidth(row[i]!);
      sizes[i] = w;
      if (w > widths[i]!) widths[i] = w;
    }
    return sizes;
  };
  const headerSizes = header.map(measure);
  const bodySizes = body.map(measure);
  const right = head.map((_, i) => options.numeric?.[i] === true);
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const line = (row: string[], sizes: number[], alignRight: boolean) => {
    let text = "│";
    for (let i = 0; i < columns; i++) {
      const gap = " ".repeat(widths[i]! - sizes[i]!);
      text += alignRight && right[i] ? ` ${gap}${row[i]} │` : ` ${row[i]}${gap} │`;
    }
    return text;
  };
  const out: string[] = [rule("┌", "┬", "┐")];
  for (const [r, row] of header.entries()) out.push(line(row, headerSizes[r]!, false));
  out.push(rule("├", "┼", "┤"));
  for (const [r, row] of body.entries()) out.push(line(row, bodySizes[r]!, true));
  out.push(rule("└", "┴", "┘"));
  return out.join("\n");
}

/** A row whose cells hold line breaks becomes several single-line rows. */
function physicalRows(row: readonly string[], columns: number): string[][] {
  const cells = new Array<string>(columns);
  let multiLine = false;
  for (let i = 0; i < columns; i++) {
    const cell = row[i] ?? "";
    cells[i] = cell;
    if (cell.includes("\n")) multiLine = true;
  }
  if (!multiLine) return [cells];
  const split = cells.map((cell) => cell.split("\n"));
  const height = Math.max(...split.map((lines) => lines.length));
  return Array.from({ length: height }, (_, k) => split.map((lines) => lines[k] ?? ""));
}

/** Key/value pairs as a two-column table. */
export function renderPairs(head: [string, string], pairs: [string, string][]): string {
  return renderTable({ head, rows: pairs });
}
