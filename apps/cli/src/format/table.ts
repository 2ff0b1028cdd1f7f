import Table from "cli-table3";

export interface TableOptions {
  head: string[];
  rows: string[][];
  /** Columns whose cells are right-aligned (numbers). */
  numeric?: boolean[];
}

/** A bordered table as text (no trailing newline). Headers are never coloured by cli-table3 itself. */
export function renderTable(options: TableOptions): string {
  const table = new Table({
    head: options.head,
    // compact: a rule under the header only, none between body rows.
    style: { head: [], border: [], compact: true },
    ...(options.numeric
      ? { colAligns: options.numeric.map((n) => (n ? ("right" as const) : ("left" as const))) }
      : {}),
  });
  for (const row of options.rows) table.push(row);
  return table.toString();
}

/** Key/value pairs as a two-column table. */
export function renderPairs(head: [string, string], pairs: [string, string][]): string {
  return renderTable({ head, rows: pairs });
}
