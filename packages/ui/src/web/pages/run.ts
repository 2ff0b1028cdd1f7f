// One run: state and times, params, summary metrics, a chart per time-series metric (drawn when
// scrolled into view), classification metrics, executions and artifacts with lineage, pipeline jobs.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { type ArtifactInfo, enc, getJson, type RunDetail } from "../api.js";
import { ConfusionMatrix, RocCurve } from "../charts/canvas.js";
import { MetricChart } from "../charts/metric-chart.js";
import { formatCount, formatTime, formatValue } from "../format.js";
import { useCoalescedReload, useLiveVersion } from "../live.js";
import { ErrorBox, KeyValues, StateBadge } from "./common.js";
import { ChartControls, useChartSettings } from "./controls.js";

export function RunPage(props: { experiment: string; run: string }) {
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { version } = useLiveVersion(
    props.experiment,
    (e) => e.changed.includes(props.run) || e.removed.includes(props.run),
  );
  const reload = useCoalescedReload(version);
  const [settings, updateSettings] = useChartSettings();

  useEffect(() => {
    const controller = new AbortController();
    reload.start();
    getJson<RunDetail>(`/api/experiments/${enc(props.experiment)}/runs/${enc(props.run)}`, controller.signal)
      .then((d) => {
        setDetail(d);
        setError(null);
      })
      .catch((e: unknown) => (e as Error).name !== "AbortError" && setError(e))
      .finally(() => reload.done());
    return () => controller.abort();
  }, [props.experiment, props.run, reload.tick]);

  if (error && !detail) return html`<main class="page"><${ErrorBox} error=${error} /></main>`;
  if (!detail) return html`<main class="page"><p class="muted">Loading…</p></main>`;
  const { run } = detail;
  const params = Object.entries(run.params).map(([k, v]): [string, string] => [k, formatValue(v, true)]);
  const metrics = Object.entries(run.metrics).map(([k, v]): [string, string] => [k, formatValue(v, true)]);
  return html`<main class="page run-page">
    <div class="page-head">
      <div>
        <h1>${run.name} <${StateBadge} state=${run.state} /></h1>
        <p class="meta">
          <span>experiment ${run.experiment}</span>
          <span>created ${formatTime(run.createTime)}</span>
          <span>updated ${formatTime(run.updateTime)}</span>
          <span>type ${run.runType}</span>
          ${run.tensorboardRun ? html`<span>TensorBoard run ${run.tensorboardRun}</span>` : null}
        </p>
        ${run.description ? html`<p class="note">${run.description}</p>` : null}
        ${
          Object.keys(run.tags).length
            ? html`<p class="tags">${Object.entries(run.tags).map(([k, v]) => html`<span class="tag" title=${v ? `${k}: ${v}` : k}>${k}${v ? html`: <strong>${v}</strong>` : null}</span>`)}</p>`
            : null
        }
      </div>
    </div>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    <div class="columns">
      <section class="card"><h2>Params</h2><${KeyValues} entries=${params} empty="No params logged." /></section>
      <section class="card"><h2>Metrics</h2><${KeyValues} entries=${metrics} empty="No summary metrics logged." /></section>
    </div>
    <section class="card">
      <h2>Time series</h2>
      ${
        detail.series.length === 0
          ? html`<p class="muted">No time series logged.</p>`
          : html`<table class="list series-summary">
            <thead><tr><th>Metric</th><th class="num">Points</th><th class="num">First step</th><th class="num">Last step</th><th class="num">Last value</th><th class="num">Min</th><th class="num">Max</th></tr></thead>
            <tbody>
              ${detail.series.map(
                (s) => html`<tr>
                  <td>${s.metric}</td>
                  <td class="num">${formatCount(s.count)}</td>
                  <td class="num">${s.first ? formatValue(s.first.step) : ""}</td>
                  <td class="num">${s.last ? formatValue(s.last.step) : ""}</td>
                  <td class="num" title=${s.last ? formatValue(s.last.value, true) : ""}>${s.last ? formatValue(s.last.value) : ""}</td>
                  <td class="num">${formatValue(s.min)}</td>
                  <td class="num">${formatValue(s.max)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
      }
    </section>
    ${
      detail.series.length
        ? html`<${ChartControls} settings=${settings} update=${updateSettings} />
          <div class="charts">
            ${detail.series.map(
              (s) => html`<${MetricChart}
                key=${s.metric}
                experiment=${props.experiment}
                metric=${s.metric}
                runs=${[props.run]}
                xMode=${settings.xMode}
                logY=${settings.logY}
                smoothing=${settings.smoothing}
                version=${version}
                density=${2}
              />`,
            )}
          </div>`
        : null
    }
    ${
      detail.classification.length
        ? html`<section class="card">
          <h2>Classification metrics</h2>
          ${detail.classification.map(
            (c) => html`<div class="classification">
              <h3>${c.displayName || c.id}</h3>
              <div class="classification-charts">
                ${c.labels && c.matrix?.length ? html`<div><h4>Confusion matrix</h4><${ConfusionMatrix} labels=${c.labels} matrix=${c.matrix} /></div>` : null}
                ${c.fpr && c.tpr && c.fpr.length ? html`<div><h4>ROC curve${c.auc === undefined ? "" : ` · AUC ${c.auc.toFixed(4)}`}</h4><${RocCurve} fpr=${c.fpr} tpr=${c.tpr} auc=${c.auc} /></div>` : null}
              </div>
            </div>`,
          )}
        </section>`
        : null
    }
    <section class="card">
      <h2>Executions</h2>
      ${
        detail.executions.length === 0
          ? html`<p class="muted">No executions associated.</p>`
          : detail.executions.map(
              (e) => html`<div class="lineage">
              <div class="lineage-col">${e.inputs.length ? e.inputs.map((a) => html`<${ArtifactChip} artifact=${a} />`) : html`<span class="muted">no inputs</span>`}</div>
              <div class="arrow">→</div>
              <div class="execution"><strong>${e.displayName || e.id}</strong><span class="muted">${e.schemaTitle}</span><${StateBadge} state=${e.state} /></div>
              <div class="arrow">→</div>
              <div class="lineage-col">${e.outputs.length ? e.outputs.map((a) => html`<${ArtifactChip} artifact=${a} />`) : html`<span class="muted">no outputs</span>`}</div>
            </div>`,
            )
      }
    </section>
    <section class="card">
      <h2>Artifacts</h2>
      ${
        detail.artifacts.length === 0
          ? html`<p class="muted">No artifacts attributed.</p>`
          : html`<table class="list">
            <thead><tr><th>Name</th><th>Schema</th><th>URI</th><th>State</th><th>Created</th></tr></thead>
            <tbody>
              ${detail.artifacts.map(
                (a) =>
                  html`<tr><td>${a.displayName || a.id}</td><td>${a.schemaTitle}</td><td class="uri">${a.uri}</td><td>${a.state}</td><td>${formatTime(a.createTime)}</td></tr>`,
              )}
            </tbody>
          </table>`
      }
    </section>
    <section class="card">
      <h2>Pipeline jobs</h2>
      ${
        detail.pipelineJobs.length === 0
          ? html`<p class="muted">No pipeline jobs logged.</p>`
          : html`<ul>${detail.pipelineJobs.map((p) => html`<li><strong>${p.displayName}</strong> <span class="muted">${p.resourceName}</span></li>`)}</ul>`
      }
    </section>
  </main>`;
}

function ArtifactChip(props: { artifact: ArtifactInfo }) {
  const a = props.artifact;
  return html`<div class="artifact" title=${a.uri}><strong>${a.displayName || a.id}</strong><span class="muted">${a.schemaTitle}</span></div>`;
}
