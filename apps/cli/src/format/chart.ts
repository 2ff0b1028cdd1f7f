import { createRequire } from "node:module";

// asciichart is CommonJS and its type package mis-declares the default export, so load it with require.
const asciichart = createRequire(import.meta.url)("asciichart") as typeof import("asciichart");

export interface ChartSeries {
  label: string;
  points: { step: number; value: number }[];
}

const PALETTE = [
  asciichart.cyan,
  asciichart.magenta,
  asciichart.green,
  asciichart.yellow,
  asciichart.blue,
  asciichart.red,
  asciichart.lightcyan,
  asciichart.lightmagenta,
];
const MARKERS = ["●", "■", "▲", "◆", "○", "□", "△", "◇"];

/**
 * A line chart of several series over a shared step axis: steps are spread over `width` columns
 * (the last value in a column wins); before a series' first step its first value is held, and the
 * line ends at its last step. Non-finite values are skipped.
 */
export function renderChart(
  title: string,
  series: ChartSeries[],
  options: { width: number; height: number; color: boolean },
): string {
  const usable = series
    .map((s) => ({
      ...s,
      points: s.points.filter((p) => Number.isFinite(p.value)).sort((a, b) => a.step - b.step),
    }))
    .filter((s) => s.points.length > 0);
  if (usable.length === 0) return `${title}: no finite values to plot.`;
  const minStep = Math.min(...usable.map((s) => s.points[0]!.step));
  const maxStep = Math.max(...usable.map((s) => s.points[s.points.length - 1]!.step));
  const span = maxStep - minStep;
  const columns = Math.max(2, Math.min(options.width, span + 1));
  const column = (step: number) => (span === 0 ? 0 : Math.round(((step - minStep) / span) * (columns - 1)));
  const arrays = usable.map((s) => {
    const cells: (number | undefined)[] = new Array(columns).fill(undefined);
    for (const p of s.points) cells[column(p.step)] = p.value;
    const lastColumn = column(s.points[s.points.length - 1]!.step);
    const out: number[] = [];
    let held = s.points[0]!.value;
    for (let i = 0; i <= lastColumn; i++) {
      if (cells[i] !== undefined) held = cells[i]!;
      out.push(held);
    }
    return out;
  });
  let min = Math.min(...arrays.flat());
  let max = Math.max(...arrays.flat());
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const label = (x: number) =>
    Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3)
      ? x.toExponential(2)
      : String(Number(x.toPrecision(3)));
  const labelWidth = Math.max(...[min, max].map((v) => label(v).length), 5);
  const chart = asciichart.plot(arrays, {
    height: options.height,
    min,
    max,
    colors: options.color ? usable.map((_, i) => PALETTE[i % PALETTE.length]!) : [],
    format: (x: number) => label(x).padStart(labelWidth + 1),
  });
  const axis = `${" ".repeat(labelWidth + 3)}step ${minStep}${" ".repeat(Math.max(1, columns - String(minStep).length - String(maxStep).length - 5))}${maxStep}`;
  const legend = usable.map((s, i) => {
    const marker = options.color
      ? `${PALETTE[i % PALETTE.length]}${MARKERS[i % MARKERS.length]}${asciichart.reset}`
      : `(${i + 1})`;
    return `${marker} ${s.label}`;
  });
  return [title, chart, axis, `  ${legend.join("   ")}`].join("\n");
}
