import type { Colors } from "./colors.js";
import { visibleWidth } from "./table.js";

export interface ChartSeries {
  label: string;
  points: { step: number; value: number }[];
}

export interface ChartOptions {
  /** Total width of the chart lines, labels and axis included. */
  width: number;
  /** Rows of the plot area. */
  height: number;
  /** Colours for the lines; without them each series is drawn with its own marker character. */
  colors?: Colors | undefined;
}

/** One marker per series, told apart without colour (pipes, NO_COLOR); cycled past ten series. */
export const MARKERS = ["*", "+", "o", "x", "#", "@", "%", "&", "=", "~"] as const;
const PALETTE = ["cyan", "magenta", "green", "yellow", "blue", "red", "cyanBright", "magentaBright"] as const;
/** The narrowest plot area drawn, whatever the width asked. */
const MIN_PLOT_COLUMNS = 10;

/**
 * A line chart of several series over a shared step axis, exactly `width` columns wide (unless that
 * is too narrow to draw). Steps are spread over the plot columns; where a series has no point in a
 * column the line is interpolated between its neighbours, and where several fall in one column the
 * last wins. A series is drawn only between its first and last step; non-finite values are skipped.
 * With colours, lines use box-drawing characters in the series' colour; without, every point is the
 * series' marker, and the legend shows which is which.
 *
 * Drawn here rather than with asciichart: asciichart can neither leave gaps (a series starting late),
 * nor give series their own symbols, nor fit a given width.
 */
export function renderChart(title: string, series: ChartSeries[], options: ChartOptions): string {
  const usable = series
    .map((s) => ({
      ...s,
      points: s.points.filter((p) => Number.isFinite(p.value)).sort((a, b) => a.step - b.step),
    }))
    .filter((s) => s.points.length > 0);
  if (usable.length === 0) return `${title}: no finite values to plot.`;
  const minStep = Math.min(...usable.map((s) => s.points[0]!.step));
  const maxStep = Math.max(...usable.map((s) => s.points[s.points.length - 1]!.step));
  let min = Math.min(...usable.flatMap((s) => s.points.map((p) => p.value)));
  let max = Math.max(...usable.flatMap((s) => s.points.map((p) => p.value)));
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const height = Math.max(2, options.height);
  const labels = Array.from({ length: height }, (_, row) =>
    axisLabel(max - ((max - min) * row) / (height - 1)),
  );
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const span = maxStep - minStep;
  const columns = span === 0 ? 1 : Math.max(MIN_PLOT_COLUMNS, options.width - labelWidth - 2);
  const rowOf = (value: number) => Math.round(((max - value) / (max - min)) * (height - 1));

  const grid: string[][] = Array.from({ length: height }, () => new Array<string>(columns).fill(" "));
  const paint = (row: number, column: number, text: string) => {
    grid[row]![column] = text;
  };
  // The first series is drawn last, so that it stays visible where series overlap.
  [...usable.entries()].reverse().forEach(([index, s]) => {
    const rows = resample(s.points, minStep, span, columns).map((v) => (Number.isNaN(v) ? -1 : rowOf(v)));
    if (options.colors) {
      const colour = options.colors[PALETTE[index % PALETTE.length]!];
      drawLine(rows, (row, column, symbol) => paint(row, column, colour(symbol)));
    } else {
      const marker = MARKERS[index % MARKERS.length]!;
      rows.forEach((row, column) => {
        if (row >= 0) paint(row, column, marker);
      });
    }
  });
  const lines = grid.map((cells, row) => `${labels[row]!.padStart(labelWidth)} ┤${cells.join("")}`);
  const first = `step ${minStep}`;
  const last = String(maxStep);
  const axis =
    span === 0
      ? `${" ".repeat(labelWidth + 2)}${first}`
      : `${" ".repeat(labelWidth + 2)}${first}${" ".repeat(Math.max(1, columns - first.length - last.length))}${last}`;
  const legend = wrapLegend(
    usable.map((s, index) =>
      options.colors
        ? `${options.colors[PALETTE[index % PALETTE.length]!]("──")} ${s.label}`
        : `${MARKERS[index % MARKERS.length]} ${s.label}`,
    ),
    Math.max(options.width, 20),
  );
  return [title, ...lines, axis, ...legend].join("\n");
}

/** The series' value in each plot column: the last point in the column, else interpolated; NaN outside. */
function resample(
  points: { step: number; value: number }[],
  minStep: number,
  span: number,
  columns: number,
): number[] {
  const values = new Array<number>(columns).fill(Number.NaN);
  const column = (step: number) => (span === 0 ? 0 : Math.round(((step - minStep) / span) * (columns - 1)));
  for (const p of points) values[column(p.step)] = p.value;
  let previous = -1;
  for (let c = 0; c < columns; c++) {
    if (Number.isNaN(values[c]!)) continue;
    if (previous >= 0 && c - previous > 1) {
      const from = values[previous]!;
      const to = values[c]!;
      for (let k = previous + 1; k < c; k++)
        values[k] = from + ((to - from) * (k - previous)) / (c - previous);
    }
    previous = c;
  }
  return values;
}

/** Box-drawing line through one row per column (-1: no value), as asciichart draws it. */
function drawLine(rows: number[], paint: (row: number, column: number, symbol: string) => void): void {
  for (let c = 0; c < rows.length; c++) {
    const r0 = rows[c]!;
    if (r0 < 0) continue;
    const r1 = c + 1 < rows.length ? rows[c + 1]! : -1;
    if (r1 < 0 || r1 === r0) {
      paint(r0, c, "─");
      continue;
    }
    // Screen rows grow downwards: r1 > r0 means the value falls.
    const falling = r1 > r0;
    paint(r0, c, falling ? "╮" : "╯");
    paint(r1, c, falling ? "╰" : "╭");
    for (let r = Math.min(r0, r1) + 1; r < Math.max(r0, r1); r++) paint(r, c, "│");
  }
}

function axisLabel(x: number): string {
  return Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3)
    ? x.toExponential(2)
    : String(Number(x.toPrecision(3)));
}

/** Legend entries on as many lines as they need, each at most `width` columns. */
export function wrapLegend(entries: string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const entry of entries) {
    const candidate = line ? `${line}   ${entry}` : `  ${entry}`;
    if (line && visibleWidth(candidate) > width) {
      lines.push(line);
      line = `  ${entry}`;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}

/** Plain words on lines of at most `width` columns, each starting with `indent`. */
export function wrapWords(text: string, width: number, indent = "  "): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : `${indent}${word}`;
    if (line && visibleWidth(candidate) > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = candidate;
  }
  if (line) lines.push(line);
  return lines;
}
