// Several runs side by side: series overlaid per metric, the params that differ, and parallel
// coordinates over params and metrics of every run of the experiment (the compared ones in colour).
import { html } from "htm/preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type CompareData, enc, getJson, type ParallelData, withQuery } from "../api.js";
import { ParallelCoordinates } from "../charts/canvas.js";
import { MetricChart, useWidth } from "../charts/metric-chart.js";
import { formatCount, formatValue, runColor } from "../format.js";
import { useCoalescedReload, useLiveVersion } from "../live.js";
import { onLinkClick, runUrl } from "../router.js";
import { ErrorBox, StateBadge } from "./common.js";
import { ChartControls, useChartSettings } from "./controls.js";

export function ComparePage(props: { experiment: string; query: URLSearchParams }) {
  const names = (props.query.get("runs") ?? "").split(",").filter(Boolean);
  const runsKey = names.join(",");
  const [data, setData] = useState<CompareData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { version } = useLiveVersion(props.experiment, (e) => e.changed.some((n) => names.includes(n)));
  const reload = useCoalescedReload(version);
  const [settings, updateSettings] = useChartSettings();

  useEffect(() => {
    if (names.length === 0) return;
    const controller = new AbortController();
    reload.start();
    getJson<CompareData>(
      withQuery(`/api/experiments/${enc(props.experiment)}/compare`, { runs: runsKey }),
      controller.signal,
    )
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => (e as Error).name !== "AbortError" && setError(e))
      .finally(() => reload.done());
    return () => controller.abort();
  }, [props.experiment, runsKey, reload.tick]);

  if (names.length === 0)
    return html`<main class="page"><p>Pick runs to compare in the runs table (tick two or more, then “Compare”).</p></main>`;
  if (error && !data) return html`<main class="page"><${ErrorBox} error=${error} /></main>`;
  if (!data) return html`<main class="page"><p class="muted">Loading…</p></main>`;
  const runs = data.runs.map((r) => r.name);
  return html`<main class="page page-wide compare-page">
    <div class="page-head"><h1>Compare ${formatCount(runs.length)} runs</h1></div>
    ${data.missing.length ? html`<p class="warning">Not found (deleted?): ${data.missing.join(", ")}</p>` : null}
    <section class="card">
      <h2>Params that differ</h2>
      ${data.params.same ? html`<p class="muted">${formatCount(data.params.same)} ${data.params.same === 1 ? "param is" : "params are"} the same in every run and ${data.params.same === 1 ? "is" : "are"} not shown.</p>` : null}
      <div class="diff-scroll">
        <table class="list diff">
          <thead>
            <tr><th>Run</th><th>State</th>${data.params.differing.map((k) => html`<th>${k}</th>`)}</tr>
          </thead>
          <tbody>
            ${data.runs.map(
              (r, i) => html`<tr>
                <td><span class="swatch" style=${{ background: runColor(i) }}></span><a href=${runUrl(props.experiment, r.name)} onClick=${onLinkClick}>${r.name}</a></td>
                <td><${StateBadge} state=${r.state} /></td>
                ${data.params.differing.map((k) => html`<td class=${typeof r.params[k] === "number" ? "num" : ""}>${k in r.params ? formatValue(r.params[k], true) : html`<span class="muted">—</span>`}</td>`)}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${data.params.differing.length === 0 ? html`<p class="muted">Every param is the same in these runs.</p>` : null}
    </section>
    <${ChartControls} settings=${settings} update=${updateSettings} />
    ${data.seriesMetrics.length === 0 ? html`<p class="muted">These runs have no time series.</p>` : null}
    <div class="charts">
      ${data.seriesMetrics.map(
        (metric) => html`<${MetricChart}
          key=${metric}
          experiment=${props.experiment}
          metric=${metric}
          runs=${runs}
          xMode=${settings.xMode}
          logY=${settings.logY}
          smoothing=${settings.smoothing}
          version=${version}
        />`,
      )}
    </div>
    <${Parallel} experiment=${props.experiment} data=${data} version=${version} />
  </main>`;
}

function Parallel(props: { experiment: string; data: CompareData; version: number }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const metricKeys = useMemo(() => {
    const keys = new Set<string>();
    for (const r of props.data.runs) for (const k in r.metrics) keys.add(k);
    return [...keys].sort();
  }, [props.data]);
  const defaults = useMemo(
    () => [
      ...props.data.params.differing.slice(0, 8).map((k) => `param.${k}`),
      ...metricKeys.slice(0, 4).map((k) => `metric.${k}`),
    ],
    [props.data, metricKeys],
  );
  const [fields, setFields] = useState<string[] | null>(null);
  const chosen = fields ?? defaults;
  const [parallel, setParallel] = useState<ParallelData | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (chosen.length < 2) {
      setParallel(null);
      return;
    }
    const controller = new AbortController();
    getJson<ParallelData>(
      withQuery(`/api/experiments/${enc(props.experiment)}/parallel`, { fields: chosen.join(",") }),
      controller.signal,
    ).then(setParallel, (e: unknown) => (e as Error).name !== "AbortError" && setError(e));
    return () => controller.abort();
  }, [props.experiment, chosen.join(","), props.version]);
  const highlight = useMemo(
    () => new Map(props.data.runs.map((r, i) => [r.name, runColor(i)])),
    [props.data],
  );
  const options = [
    ...Object.keys(props.data.runs[0]?.params ?? {}).map((k) => `param.${k}`),
    ...metricKeys.map((k) => `metric.${k}`),
  ];
  const allOptions = [
    ...new Set([...chosen, ...options, ...props.data.params.differing.map((k) => `param.${k}`)]),
  ];
  return html`<section class="card" ref=${box}>
    <h2>Parallel coordinates</h2>
    <p class="muted">
      ${parallel ? `All ${formatCount(parallel.runs.length)} runs of the experiment${parallel.truncated ? ` (first ${formatCount(parallel.runs.length)} of ${formatCount(parallel.total)})` : ""}; the compared runs in colour.` : ""}
    </p>
    <details class="axes-picker">
      <summary>Axes (${chosen.length})</summary>
      <div class="picker-list">
        ${allOptions.map(
          (f) => html`<label class="picker-item"><input
              type="checkbox"
              checked=${chosen.includes(f)}
              onChange=${() => setFields(chosen.includes(f) ? chosen.filter((x) => x !== f) : [...chosen, f].slice(0, 30))}
            /> ${f}</label>`,
        )}
      </div>
    </details>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${chosen.length < 2 ? html`<p class="muted">Choose at least two axes.</p>` : null}
    ${
      parallel && width > 0
        ? html`<${ParallelCoordinates} fields=${parallel.fields} columns=${parallel.columns} runs=${parallel.runs} highlight=${highlight} width=${Math.max(400, width - 32)} />`
        : null
    }
  </section>`;
}
