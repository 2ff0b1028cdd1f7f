import { displayWidth, graphemes } from "./width.js";

export interface TableOptions {
  head: string[];
  rows: string[][];
  /** Columns whose cells are right-aligned (numbers). */
  numeric?: boolean[];
  /**
   * Cells wider than this many terminal columns are cut, ending with "…" (the whole value is in
   * `--json`). @default 60
   */
  maxCellWidth?: number;
}

/** The widest a table cell is shown before it is cut. */
export const MAX_CELL_WIDTH = 60;
const ELLIPSIS = "…";

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour sequences start with ESC.
const SGR = /\u001b\[[0-9;]*m/y;

/** True for text of printable ASCII only (no colour codes): one terminal column per character. */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Terminal columns the text takes: colour codes count nothing, CJK and emoji two columns, combining
 * marks none. Printable ASCII (nearly every cell) takes the fast path; only other cells are measured
 * by grapheme, which would cost ~300 ms over every cell of a 1,000-run table.
 */
export function visibleWidth(text: string): number {
  return isPlainAscii(text) ? text.length : displayWidth(text);
}

/**
 * The text cut to at most `max` columns, ending with "…" when it was cut. Colour codes are kept
 * (and closed with a reset), and a wide character is never split.
 */
export function truncate(text: string, max: number): string {
  if (isPlainAscii(text)) return text.length <= max ? text : text.slice(0, Math.max(0, max - 1)) + ELLIPSIS;
  if (visibleWidth(text) <= max) return text;
  let out = "";
  let width = 0;
  let coloured = false;
  let i = 0;
  const budget = max - 1;
  while (i < text.length) {
    SGR.lastIndex = i;
    const sgr = SGR.exec(text);
    if (sgr) {
      out += sgr[0];
      coloured = true;
      i += sgr[0].length;
      continue;
    }
    const next = text.indexOf("\u001b", i + 1);
    const chunk = text.slice(i, next === -1 ? text.length : next);
    let stop = false;
    for (const { segment } of graphemes().segment(chunk)) {
      const w = visibleWidth(segment);
      if (width + w > budget) {
        stop = true;
        break;
      }
      out += segment;
      width += w;
    }
    if (stop) break;
    i += chunk.length;
  }
  return `${out}${ELLIPSIS}${coloured ? "\u001b[0m" : ""}`;
}

/**
 * A bordered table as text (no trailing newline): a rule under the header, none between rows.
 * Cells may hold several lines. Written by hand because it renders thousands of rows in a few ms.
 */
export function renderTable(options: TableOptions): string {
  const { head } = options;
  const columns = head.length;
  const max = options.maxCellWidth ?? MAX_CELL_WIDTH;
  const header = physicalRows(head, columns, Number.POSITIVE_INFINITY);
  const body: string[][] = [];
  for (const row of options.rows) for (const line of physicalRows(row, columns, max)) body.push(line);
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

/** A row whose cells hold line breaks becomes several single-line rows; long lines are cut. */
function physicalRows(row: readonly string[], columns: number, max: number): string[][] {
  const cells = new Array<string>(columns);
  let multiLine = false;
  for (let i = 0; i < columns; i++) {
    const cell = row[i] ?? "";
    if (cell.includes("\n")) multiLine = true;
    cells[i] = fit(cell, max);
  }
  if (!multiLine) return [cells];
  const split = cells.map((_, i) => (row[i] ?? "").split("\n").map((l) => fit(l, max)));
  const height = Math.max(...split.map((lines) => lines.length));
  return Array.from({ length: height }, (_, k) => split.map((lines) => lines[k] ?? ""));
}

/** Cuts a cell that may be wider than `max` (a cell of at most max/2 code units never is). */
function fit(cell: string, max: number): string {
  return cell.length * 2 > max ? truncate(cell, max) : cell;
}

/** Key/value pairs as a two-column table. */
export function renderPairs(
  head: [string, string],
  pairs: [string, string][],
  maxCellWidth?: number,
): string {
  return renderTable({ head, rows: pairs, ...(maxCellWidth ? { maxCellWidth } : {}) });
}
