// Puts several runs' series on one x array for the chart: exactly when every series is raw and small,
// otherwise on a grid of columns over the union x range (per column: the last value for the line,
// the min and max of everything that fell in it for the band — so a spike is never lost).
import type { SeriesEntry } from "../api.js";

export interface ChartInput {
  entry: SeriesEntry;
  /** Added to every x (relative time: minus the run's first wall time, in the axis unit). */
  shift: number;
  /** Multiplies x after the shift (e.g. ms → s). */
  scale: number;
}

export interface Aligned {
  xs: Float64Array;
  lines: (number | null)[][];
  mins: (number | null)[][] | undefined;
  maxs: (number | null)[][] | undefined;
  /** Points stored in the ranges shown (all series). */
  rawCount: number;
  /** Points drawn (all series). */
  shownCount: number;
  downsampled: boolean;
}

const EXACT_LIMIT = 200_000;

export function alignSeries(inputs: readonly ChartInput[], columns: number): Aligned {
  const rawCount = inputs.reduce((n, i) => n + i.entry.count, 0);
  const allRaw = inputs.every((i) => i.entry.kind === "raw");
  const totalPoints = inputs.reduce((n, i) => n + i.entry.xs.length, 0);
  const tx = (i: ChartInput, x: number) => (x + i.shift) * i.scale;
  if (allRaw && totalPoints <= EXACT_LIMIT) {
    const set = new Set<number>();
    for (const input of inputs) for (const x of input.entry.xs) set.add(tx(input, x));
    const xs = Float64Array.from(set).sort();
    const index = new Map<number, number>();
    for (let i = 0; i < xs.length; i++) index.set(xs[i]!, i);
    const lines = inputs.map((input) => {
      const line: (number | null)[] = new Array(xs.length).fill(null);
      input.entry.xs.forEach((x, k) => {
        line[index.get(tx(input, x))!] = finiteOrNull(input.entry.ys[k]!);
      });
      return line;
    });
    return {
      xs,
      lines,
      mins: undefined,
      maxs: undefined,
      rawCount,
      shownCount: totalPoints,
      downsampled: false,
    };
  }

  // Grid: the union range, `columns` cells, plus each series' exact first and last point.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const input of inputs) {
    const e = input.entry;
    const ends = [e.first?.[e.x], e.last?.[e.x], e.xs[0], e.xs[e.xs.length - 1]];
    for (const x of ends) {
      if (x === undefined || !Number.isFinite(x)) continue;
      const t = tx(input, x);
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  if (!(hi >= lo)) {
    return {
      xs: new Float64Array(0),
      lines: inputs.map(() => []),
      mins: undefined,
      maxs: undefined,
      rawCount,
      shownCount: 0,
      downsampled: true,
    };
  }
  // Series bucketed on one grid (one run, or runs read over the same range) keep the server's buckets.
  const first = inputs[0]!;
  const shared = inputs.every(
    (i) =>
      i.entry.kind === "buckets" &&
      i.entry.from === first.entry.from &&
      i.entry.to === first.entry.to &&
      i.entry.n === first.entry.n &&
      i.shift === first.shift &&
      i.scale === first.scale,
  );
  let n = Math.max(1, columns);
  if (shared && first.entry.from !== undefined && first.entry.to !== undefined) {
    lo = tx(first, first.entry.from);
    hi = tx(first, first.entry.to);
    n = first.entry.n;
  }
  const width = (hi - lo) / n || 1;
  const cell = (x: number) => Math.min(n - 1, Math.max(0, Math.floor((x - lo) / width)));
  const centres: number[] = [];
  for (let j = 0; j < n; j++) centres.push(lo + (j + 0.5) * width);
  // Exact end points get their own x positions.
  const extras = new Set<number>();
  for (const input of inputs) {
    const e = input.entry;
    if (e.first) extras.add(tx(input, e.first[e.x]));
    if (e.last) extras.add(tx(input, e.last[e.x]));
  }
  const xsList = [...centres, ...[...extras].filter((x) => !centres.includes(x))].sort((a, b) => a - b);
  const xs = Float64Array.from(xsList);
  const at = new Map<number, number>();
  for (let i = 0; i < xs.length; i++) at.set(xs[i]!, i);
  const centreIndex = centres.map((c) => at.get(c)!);
  let shownCount = 0;
  const lines: (number | null)[][] = [];
  const mins: (number | null)[][] = [];
  const maxs: (number | null)[][] = [];
  for (const input of inputs) {
    const e = input.entry;
    const line: (number | null)[] = new Array(xs.length).fill(null);
    const min: (number | null)[] = new Array(xs.length).fill(null);
    const max: (number | null)[] = new Array(xs.length).fill(null);
    for (let k = 0; k < e.xs.length; k++) {
      const j = centreIndex[cell(tx(input, e.xs[k]!))]!;
      const y = e.ys[k]!;
      const ymin = e.min ? e.min[k]! : y;
      const ymax = e.max ? e.max[k]! : y;
      if (Number.isFinite(y)) line[j] = y;
      if (Number.isFinite(ymin) && (min[j] === null || ymin < min[j]!)) min[j] = ymin;
      if (Number.isFinite(ymax) && (max[j] === null || ymax > max[j]!)) max[j] = ymax;
    }
    for (const p of [e.first, e.last]) {
      if (!p || !Number.isFinite(p.value)) continue;
      const j = at.get(tx(input, p[e.x]))!;
      line[j] = p.value;
      if (min[j] === null || p.value < min[j]!) min[j] = p.value;
      if (max[j] === null || p.value > max[j]!) max[j] = p.value;
    }
    for (const v of line) if (v !== null) shownCount++;
    lines.push(line);
    mins.push(min);
    maxs.push(max);
  }
  return { xs, lines, mins, maxs, rawCount, shownCount, downsampled: true };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * TensorBoard's debiased exponential moving average: the first points are not pulled towards 0.
 * Gaps (null) are kept; non-finite values do not enter the average.
 */
export function smoothLine(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - weight ** count);
  });
}
