// Chart settings shared by the run and compare pages, kept in the URL (?x=&y=&smooth=) so a shared
// link shows the same charts.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import type { XMode } from "../charts/line-chart.js";

export interface ChartSettings {
  xMode: XMode;
  logY: boolean;
  smoothing: number;
}

function read(): ChartSettings {
  const q = new URLSearchParams(window.location.search);
  const x = q.get("x");
  const smooth = Number(q.get("smooth") ?? "0");
  return {
    xMode: x === "wallTime" || x === "relative" ? x : "step",
    logY: q.get("y") === "log",
    smoothing: Number.isFinite(smooth) && smooth >= 0 && smooth < 1 ? smooth : 0,
  };
}

export function useChartSettings(): [ChartSettings, (patch: Partial<ChartSettings>) => void] {
  const [settings, setSettings] = useState(read);
  const update = (patch: Partial<ChartSettings>) => {
    const next = { ...settings, ...patch };
    setSettings(next);
    const q = new URLSearchParams(window.location.search);
    const set = (k: string, v: string | undefined) => (v === undefined ? q.delete(k) : q.set(k, v));
    set("x", next.xMode === "step" ? undefined : next.xMode);
    set("y", next.logY ? "log" : undefined);
    set("smooth", next.smoothing > 0 ? String(next.smoothing) : undefined);
    const text = q.toString();
    history.replaceState(
      null,
      "",
      `${window.location.pathname}${text ? `?${text.replace(/%2C/g, ",")}` : ""}`,
    );
  };
  return [settings, update];
}

export function ChartControls(props: {
  settings: ChartSettings;
  update: (patch: Partial<ChartSettings>) => void;
}) {
  const { settings, update } = props;
  return html`<div class="chart-controls" role="toolbar" aria-label="Chart settings">
    <label>X axis
      <select value=${settings.xMode} onChange=${(e: Event) => update({ xMode: (e.target as HTMLSelectElement).value as XMode })}>
        <option value="step">Step</option>
        <option value="wallTime">Wall time</option>
        <option value="relative">Relative time</option>
      </select>
    </label>
    <label>Y axis
      <select value=${settings.logY ? "log" : "linear"} onChange=${(e: Event) => update({ logY: (e.target as HTMLSelectElement).value === "log" })}>
        <option value="linear">Linear</option>
        <option value="log">Log</option>
      </select>
    </label>
    <label class="smoothing">Smoothing (EMA)
      <input
        type="range"
        min="0"
        max="0.99"
        step="0.01"
        value=${settings.smoothing}
        aria-label="Smoothing"
        onInput=${(e: Event) => update({ smoothing: Number((e.target as HTMLInputElement).value) })}
      />
      <output>${settings.smoothing === 0 ? "off" : settings.smoothing.toFixed(2)}</output>
    </label>
  </div>`;
}
