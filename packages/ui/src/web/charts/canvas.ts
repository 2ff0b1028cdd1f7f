// Canvas charts: confusion-matrix heatmap, ROC curve, parallel coordinates. Text on a canvas is drawn
// with fillText, so store values stay text.
import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Value } from "../api.js";
import { formatNumber, formatValue } from "../format.js";
import { fitText } from "./fit-text.js";

/** A canvas sized for the device's pixel ratio; `draw` gets a context in CSS pixels. */
function useCanvas(
  width: number,
  height: number,
  draw: (ctx: CanvasRenderingContext2D) => void,
  deps: unknown[],
) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext("2d")!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const t0 = performance.now();
    draw(ctx);
    canvas.dataset.drawn = "1";
    canvas.dataset.drawMs = (performance.now() - t0).toFixed(1);
  }, [width, height, ...deps]);
  return ref;
}

const FONT = "12px system-ui, -apple-system, Segoe UI, sans-serif";

let measurer: CanvasRenderingContext2D | null | undefined;
function textWidth(text: string): number {
  measurer ??= document.createElement("canvas").getContext("2d");
  if (!measurer) return text.length * 7;
  measurer.font = FONT;
  return measurer.measureText(text).width;
}

function ellipsis(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  return fitText((t) => ctx.measureText(t).width, text, max);
}

export function ConfusionMatrix(props: { labels: string[]; matrix: number[][] }) {
  const [normalised, setNormalised] = useState(false);
  const n = props.labels.length;
  const cell = Math.max(28, Math.min(64, Math.floor(420 / Math.max(1, n))));
  // Room for the labels: the row labels' width on the left, the slanted column labels on top.
  const longest = Math.min(140, Math.max(40, ...props.labels.map((l) => textWidth(l))));
  const left = longest + 16;
  const top = Math.round(longest * 0.72) + 24;
  const ref = useCanvas(
    left + cell * n + Math.round(longest * 0.72) + 10,
    top + cell * n + 10,
    (ctx) => {
      ctx.font = FONT;
      const rowSums = props.matrix.map((row) => row.reduce((a, b) => a + b, 0));
      let maxCount = 0;
      for (const row of props.matrix) for (const v of row) maxCount = Math.max(maxCount, v);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const count = props.matrix[i]?.[j] ?? 0;
          const share = rowSums[i] ? count / rowSums[i]! : 0;
          const intensity = normalised ? share : maxCount ? count / maxCount : 0;
          ctx.fillStyle = `rgba(37, 99, 235, ${0.06 + 0.9 * intensity})`;
          const x = left + j * cell;
          const y = top + i * cell;
          ctx.fillRect(x, y, cell - 1, cell - 1);
          ctx.fillStyle = intensity > 0.55 ? "#fff" : "#0f172a";
          ctx.textAlign = "center";
          ctx.textBaseline = "middle";
          ctx.fillText(normalised ? share.toFixed(2) : formatNumber(count), x + cell / 2, y + cell / 2);
        }
      }
      ctx.fillStyle = "#334155";
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      props.labels.forEach((label, i) => {
        ctx.fillText(ellipsis(ctx, label, left - 12), left - 6, top + i * cell + cell / 2);
      });
      ctx.save();
      props.labels.forEach((label, j) => {
        ctx.save();
        ctx.translate(left + j * cell + cell / 2, top - 6);
        ctx.rotate(-Math.PI / 4);
        ctx.textAlign = "left";
        ctx.fillText(ellipsis(ctx, label, longest), 0, 0);
        ctx.restore();
      });
      ctx.restore();
      ctx.fillStyle = "#64748b";
      ctx.textAlign = "left";
      ctx.fillText("actual ↓", 4, top - 6);
      ctx.textAlign = "right";
      ctx.fillText("predicted →", left + cell * n, 14);
    },
    [props.labels, props.matrix, normalised],
  );
  return html`<div class="matrix">
    <div class="toggle" role="group" aria-label="Confusion matrix values">
      <button class=${normalised ? "" : "active"} onClick=${() => setNormalised(false)}>Counts</button>
      <button class=${normalised ? "active" : ""} onClick=${() => setNormalised(true)}>Row-normalised</button>
    </div>
    <canvas ref=${ref} class="heatmap" aria-label="confusion matrix"></canvas>
  </div>`;
}

export function RocCurve(props: { fpr: number[]; tpr: number[]; auc: number | undefined }) {
  const size = 300;
  const pad = 40;
  const ref = useCanvas(
    size + pad + 10,
    size + pad + 10,
    (ctx) => {
      ctx.font = FONT;
      const x = (v: number) => pad + v * size;
      const y = (v: number) => 10 + (1 - v) * size;
      ctx.strokeStyle = "#cbd5e1";
      ctx.strokeRect(pad, 10, size, size);
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x(0), y(0));
      ctx.lineTo(x(1), y(1));
      ctx.stroke();
      ctx.setLineDash([]);
      const points = props.fpr
        .map((f, i) => [f, props.tpr[i]!] as const)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      ctx.strokeStyle = "#2563eb";
      ctx.lineWidth = 2;
      ctx.beginPath();
      points.forEach(([f, t], i) => {
        if (i === 0) ctx.moveTo(x(f), y(t));
        else ctx.lineTo(x(f), y(t));
      });
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.fillStyle = "#334155";
      ctx.textAlign = "center";
      ctx.fillText("false positive rate", pad + size / 2, size + 36);
      for (const t of [0, 0.5, 1]) {
        ctx.fillText(String(t), x(t), size + 22);
      }
      ctx.textAlign = "right";
      for (const t of [0, 0.5, 1]) ctx.fillText(String(t), pad - 6, y(t) + 4);
      ctx.save();
      ctx.translate(12, 10 + size / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.fillText("true positive rate", 0, 0);
      ctx.restore();
      if (props.auc !== undefined) {
        ctx.textAlign = "right";
        ctx.fillStyle = "#0f172a";
        ctx.font = `bold ${FONT}`;
        ctx.fillText(`AUC ${props.auc.toFixed(4)}`, pad + size - 8, 10 + size - 10);
      }
    },
    [props.fpr, props.tpr, props.auc],
  );
  return html`<canvas ref=${ref} class="roc" aria-label="ROC curve"></canvas>`;
}

export interface ParallelProps {
  fields: string[];
  columns: (Value | null)[][];
  runs: string[];
  /** Runs drawn in colour (others grey), by name. */
  highlight: Map<string, string>;
  width: number;
}

/** Parallel coordinates: one vertical axis per field (numbers linear; strings and booleans as categories). */
export function ParallelCoordinates(props: ParallelProps) {
  const height = 320;
  const top = 40;
  const bottom = 24;
  const ref = useCanvas(
    props.width,
    height,
    (ctx) => {
      ctx.font = FONT;
      const n = props.fields.length;
      const left = 60;
      const right = 60;
      const step = n > 1 ? (props.width - left - right) / (n - 1) : 0;
      const axisX = (i: number) => left + i * step;
      const plotH = height - top - bottom;
      const scales = props.columns.map((column) => {
        const numbers: number[] = [];
        for (const v of column) if (typeof v === "number" && Number.isFinite(v)) numbers.push(v);
        const others = [
          ...new Set(column.filter((v) => v !== null && typeof v !== "number").map((v) => String(v))),
        ].sort();
        if (numbers.length >= others.length) {
          let lo = Number.POSITIVE_INFINITY;
          let hi = Number.NEGATIVE_INFINITY;
          for (const v of numbers) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          if (!Number.isFinite(lo)) {
            lo = 0;
            hi = 1;
          }
          if (lo === hi) {
            lo -= 0.5;
            hi += 0.5;
          }
          return {
            pos: (v: Value | null) =>
              typeof v === "number" && Number.isFinite(v) ? top + (1 - (v - lo) / (hi - lo)) * plotH : null,
            ticks: [
              [hi, formatNumber(hi)],
              [lo, formatNumber(lo)],
            ] as [number, string][],
            lo,
            hi,
            categories: undefined as string[] | undefined,
          };
        }
        const index = new Map(others.map((c, i) => [c, i]));
        return {
          pos: (v: Value | null) => {
            if (v === null || typeof v === "number") return null;
            const i = index.get(String(v));
            return i === undefined
              ? null
              : top + (others.length === 1 ? 0.5 : i / (others.length - 1)) * plotH;
          },
          ticks: [] as [number, string][],
          lo: 0,
          hi: 0,
          categories: others,
        };
      });
      const drawRun = (r: number) => {
        ctx.beginPath();
        let pen = false;
        for (let i = 0; i < n; i++) {
          const y = scales[i]!.pos(props.columns[i]![r] ?? null);
          if (y === null) {
            pen = false;
            continue;
          }
          if (pen) ctx.lineTo(axisX(i), y);
          else ctx.moveTo(axisX(i), y);
          pen = true;
        }
        ctx.stroke();
      };
      const others = props.runs.length - props.highlight.size;
      ctx.strokeStyle = `rgba(100, 116, 139, ${Math.min(0.5, Math.max(0.05, 20 / Math.max(1, others))).toFixed(3)})`;
      ctx.lineWidth = 1;
      for (let r = 0; r < props.runs.length; r++) if (!props.highlight.has(props.runs[r]!)) drawRun(r);
      ctx.lineWidth = 2;
      for (let r = 0; r < props.runs.length; r++) {
        const color = props.highlight.get(props.runs[r]!);
        if (!color) continue;
        ctx.strokeStyle = color;
        drawRun(r);
      }
      ctx.lineWidth = 1;
      props.fields.forEach((field, i) => {
        const x = axisX(i);
        ctx.strokeStyle = "#334155";
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + plotH);
        ctx.stroke();
        ctx.fillStyle = "#0f172a";
        ctx.textAlign = "center";
        ctx.fillText(ellipsis(ctx, field, Math.max(60, step - 8)), x, 16);
        ctx.fillStyle = "#475569";
        const scale = scales[i]!;
        if (scale.categories) {
          scale.categories.slice(0, 12).forEach((c) => {
            const y = scale.pos(c);
            if (y !== null) ctx.fillText(ellipsis(ctx, formatValue(c), Math.max(50, step - 10)), x, y - 4);
          });
        } else {
          ctx.fillText(scale.ticks[0]![1], x, top - 6);
          ctx.fillText(scale.ticks[1]![1], x, top + plotH + 16);
        }
      });
    },
    [props.fields, props.columns, props.runs, props.highlight],
  );
  return html`<canvas ref=${ref} class="parallel" aria-label="parallel coordinates"></canvas>`;
}
