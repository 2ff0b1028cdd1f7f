// One chart of one metric for one or many runs: uPlot lines, a min/max band drawn under them where the
// data is downsampled, optional debiased EMA smoothing with the raw line faint behind, log or linear y,
// drag to zoom (the caller re-queries the range at full resolution), double-click to reset.
import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { formatCount, formatDuration, formatNumber } from "../format.js";
import { type Aligned, alignSeries, type ChartInput, smoothLine } from "./align.js";

export type XMode = "step" | "wallTime" | "relative";

export interface ChartLine {
  label: string;
  color: string;
  input: ChartInput;
}

export interface LineChartProps {
  lines: ChartLine[];
  xMode: XMode;
  logY: boolean;
  /** EMA weight in [0, 1); 0 is off. */
  smoothing: number;
  /** When the data arrived (performance.now()), to report the draw time. */
  arrivedAt: number;
  width: number;
  height?: number;
  onZoom?: ((range: { from: number; to: number } | null) => void) | undefined;
  zoomed?: boolean;
}

function alpha(color: string, a: number): string {
  if (color.startsWith("#")) {
    const n = Number.parseInt(color.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }
  return color.replace(/\)$/, ` / ${a})`);
}

/** The text under a chart: how many points it draws of how many stored, and how. */
export function densityLabel(aligned: Aligned, runs: number): string {
  if (!aligned.downsampled) return `${formatCount(aligned.rawCount)} points, all drawn`;
  const per = runs > 1 ? ` over ${runs} runs` : "";
  return `${formatCount(aligned.rawCount)} → ${formatCount(aligned.shownCount)} points${per}, min/max kept`;
}

export function LineChart(props: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const label = useRef<HTMLDivElement>(null);
  const onZoom = useRef(props.onZoom);
  onZoom.current = props.onZoom;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const started = props.arrivedAt;
    const aligned = alignSeries(
      props.lines.map((l) => l.input),
      Math.max(50, Math.round(props.width)),
    );
    if (label.current) label.current.textContent = densityLabel(aligned, props.lines.length);
    const smoothing = props.smoothing;
    const data: (Float64Array | (number | null)[])[] = [aligned.xs];
    const series: uPlot.Series[] = [
      {
        label: props.xMode === "step" ? "step" : props.xMode === "relative" ? "time" : "wall time",
        ...(props.xMode === "relative"
          ? { value: (_u: uPlot, v: number) => (v == null ? "--" : formatDuration(v)) }
          : {}),
      },
    ];
    const positive = (v: number | null) => (v === null || !props.logY || v > 0 ? v : null);
    props.lines.forEach((line, i) => {
      const raw = aligned.lines[i]!.map(positive);
      if (smoothing > 0) {
        data.push(raw);
        series.push({
          label: `${line.label} (raw)`,
          stroke: alpha(line.color, 0.25),
          width: 1,
          spanGaps: true,
          points: { show: false },
        });
        data.push(smoothLine(raw, smoothing));
        series.push({
          label: line.label,
          stroke: line.color,
          width: 1.5,
          spanGaps: true,
          points: { show: false },
        });
      } else {
        data.push(raw);
        series.push({
          label: line.label,
          stroke: line.color,
          width: 1.5,
          spanGaps: true,
          points: { show: aligned.xs.length < 60 },
        });
      }
    });
    const bands =
      aligned.mins && aligned.maxs
        ? { mins: aligned.mins.map((m) => m.map(positive)), maxs: aligned.maxs.map((m) => m.map(positive)) }
        : undefined;

    const yRange = (u: uPlot): [number, number] => {
      const xmin = u.scales.x!.min ?? Number.NEGATIVE_INFINITY;
      const xmax = u.scales.x!.max ?? Number.POSITIVE_INFINITY;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      const visit = (arr: (number | null)[]) => {
        for (let k = 0; k < arr.length; k++) {
          const x = aligned.xs[k]!;
          if (x < xmin || x > xmax) continue;
          const v = arr[k];
          if (v === null || v === undefined) continue;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      };
      for (let s = 1; s < data.length; s++) visit(data[s] as (number | null)[]);
      if (bands)
        for (let s = 0; s < bands.mins.length; s++) {
          visit(bands.mins[s]!);
          visit(bands.maxs[s]!);
        }
      if (!(hi >= lo)) return props.logY ? [1, 10] : [0, 1];
      if (props.logY) return [lo / 1.2, hi * 1.2];
      const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
      return [lo - pad, hi + pad];
    };

    const xIsTime = props.xMode === "wallTime";
    let reported = false;
    const opts: uPlot.Options = {
      width: Math.max(200, Math.floor(props.width)),
      height: props.height ?? 260,
      ms: 1,
      series,
      scales: {
        x: { time: xIsTime },
        y: { distr: props.logY ? 3 : 1, range: (u) => yRange(u) },
      },
      axes: [
        {
          stroke: "#475569",
          grid: { stroke: "#e2e8f0" },
          ...(props.xMode === "relative"
            ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => formatDuration(t)) }
            : {}),
          ...(props.xMode === "step"
            ? { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => formatNumber(t)) }
            : {}),
        },
        {
          stroke: "#475569",
          grid: { stroke: "#e2e8f0" },
          size: 60,
          values: (_u: uPlot, ticks: number[]) => ticks.map((t) => formatNumber(t)),
        },
      ],
      legend: { show: props.lines.length <= 10, live: true },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      hooks: {
        drawClear: [
          (u) => {
            if (!bands) return;
            const ctx = u.ctx;
            const { left, top, width, height } = u.bbox;
            ctx.save();
            ctx.beginPath();
            ctx.rect(left, top, width, height);
            ctx.clip();
            props.lines.forEach((line, i) => {
              const mins = bands.mins[i]!;
              const maxs = bands.maxs[i]!;
              const many = props.lines.length > 10;
              ctx.fillStyle = alpha(line.color, many ? 0.08 : 0.2);
              // The edges too: a spike in one bucket is a band one pixel wide, visible only as a stroke.
              ctx.strokeStyle = alpha(line.color, many ? 0.25 : 0.55);
              ctx.lineWidth = 1;
              // One polygon per run of consecutive cells with values.
              let k = 0;
              while (k < aligned.xs.length) {
                while (k < aligned.xs.length && (mins[k] === null || maxs[k] === null)) k++;
                const start = k;
                while (k < aligned.xs.length && mins[k] !== null && maxs[k] !== null) k++;
                if (k - start < 1) continue;
                ctx.beginPath();
                for (let j = start; j < k; j++) {
                  const x = u.valToPos(aligned.xs[j]!, "x", true);
                  const y = u.valToPos(maxs[j]!, "y", true);
                  if (j === start) ctx.moveTo(x, y);
                  else ctx.lineTo(x, y);
                }
                for (let j = k - 1; j >= start; j--)
                  ctx.lineTo(u.valToPos(aligned.xs[j]!, "x", true), u.valToPos(mins[j]!, "y", true));
                ctx.closePath();
                ctx.fill();
                ctx.stroke();
              }
            });
            ctx.restore();
          },
        ],
        draw: [
          () => {
            if (reported) return;
            reported = true;
            const ms = performance.now() - started;
            el.dataset.drawn = "1";
            el.dataset.drawMs = ms.toFixed(1);
            el.dataset.points = String(aligned.shownCount);
            el.dispatchEvent(new CustomEvent("chartdrawn", { bubbles: true, detail: { ms } }));
          },
        ],
        setSelect: [
          (u) => {
            const sel = u.select;
            if (sel.width < 4 || !onZoom.current) return;
            const from = u.posToVal(sel.left, "x");
            const to = u.posToVal(sel.left + sel.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onZoom.current({ from, to });
          },
        ],
      },
    };
    const plot = new uPlot(opts, data as uPlot.AlignedData, el);
    const reset = () => onZoom.current?.(null);
    plot.over.addEventListener("dblclick", reset);
    return () => {
      plot.over.removeEventListener("dblclick", reset);
      plot.destroy();
      delete el.dataset.drawn;
    };
  }, [props.lines, props.xMode, props.logY, props.smoothing, props.width, props.height, props.arrivedAt]);

  return html`<div class="chart">
    <div class="chart-plot" ref=${host}></div>
    <div class="chart-note">
      <span ref=${label}></span>
      ${props.onZoom ? html`<span class="hint">${props.zoomed ? "zoomed · double-click to reset" : "drag to zoom"}</span>` : null}
    </div>
  </div>`;
}
