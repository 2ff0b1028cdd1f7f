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
    const columnsOf = resample(s.points, minStep, span, columns);
    const rows = columnsOf.map((c) =>
      c ? { last: rowOf(c.last), top: rowOf(c.hi), bottom: rowOf(c.lo) } : undefined,
    );
    if (options.colors) {
      const colour = options.colors[PALETTE[index % PALETTE.length]!];
      drawLine(rows, (row, column, symbol) => paint(row, column, colour(symbol)));
    } else {
      const marker = MARKERS[index % MARKERS.length]!;
      rows.forEach((r, column) => {
        if (!r) return;
        // A column's whole min–max span: a spike inside a bucket is never hidden.
        for (let row = r.top; row <= r.bottom; row++) paint(row, column, marker);
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

/** One plot column of a series: its lowest and highest value there and the value at its last step. */
interface Column {
  lo: number;
  hi: number;
  last: number;
  lastStep: number;
}

/**
 * The series in each plot column (`undefined` outside its steps): min, max and the value at the
 * largest step of the points that fall there, and for columns between two points, the line between
 * them. Points may be a downsampled read's first/min/max/last of each bucket: the envelope survives.
 */
function resample(
  points: { step: number; value: number }[],
  minStep: number,
  span: number,
  columns: number,
): (Column | undefined)[] {
  const out: (Column | undefined)[] = new Array(columns).fill(undefined);
  const column = (step: number) => (span === 0 ? 0 : Math.round(((step - minStep) / span) * (columns - 1)));
  for (const p of points) {
    const c = column(p.step);
    const at = out[c];
    if (!at) out[c] = { lo: p.value, hi: p.value, last: p.value, lastStep: p.step };
    else {
      if (p.value < at.lo) at.lo = p.value;
      if (p.value > at.hi) at.hi = p.value;
      if (p.step >= at.lastStep) {
        at.last = p.value;
        at.lastStep = p.step;
      }
    }
  }
  let previous = -1;
  for (let c = 0; c < columns; c++) {
    if (!out[c]) continue;
    if (previous >= 0 && c - previous > 1) {
      const from = out[previous]!.last;
      const to = out[c]!.last;
      for (let k = previous + 1; k < c; k++) {
        const v = from + ((to - from) * (k - previous)) / (c - previous);
        out[k] = { lo: v, hi: v, last: v, lastStep: Number.NaN };
      }
    }
    previous = c;
  }
  return out;
}

/**
 * Box-drawing line through each column's last value, as asciichart draws it, with the column's
 * min–max span drawn as a vertical bar where it reaches beyond the line.
 */
function drawLine(
  rows: ({ last: number; top: number; bottom: number } | undefined)[],
  paint: (row: number, column: number, symbol: string) => void,
): void {
  for (let c = 0; c < rows.length; c++) {
    const here = rows[c];
    if (!here) continue;
    const r0 = here.last;
    const r1 = rows[c + 1]?.last;
    const painted = new Set<number>();
    const put = (row: number, symbol: string) => {
      paint(row, c, symbol);
      painted.add(row);
    };
    if (r1 === undefined || r1 === r0) put(r0, "─");
    else {
      // Screen rows grow downwards: r1 > r0 means the value falls.
      const falling = r1 > r0;
      put(r0, falling ? "╮" : "╯");
      put(r1, falling ? "╰" : "╭");
      for (let r = Math.min(r0, r1) + 1; r < Math.max(r0, r1); r++) put(r, "│");
    }
    for (let r = here.top; r <= here.bottom; r++) if (!painted.has(r)) paint(r, c, "│");
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
