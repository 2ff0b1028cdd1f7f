// A chart card for one metric: fetches the downsampled series when scrolled into view, re-fetches the
// zoomed range at full resolution, and again when the runs change (live).
import { html } from "htm/preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getSeries, type SeriesEntry } from "../api.js";
import { runColor } from "../format.js";
import { useCoalescedReload } from "../live.js";
import { type ChartLine, LineChart, type XMode } from "./line-chart.js";

export interface MetricChartProps {
  experiment: string;
  metric: string;
  runs: string[];
  xMode: XMode;
  logY: boolean;
  smoothing: number;
  /** Bumped when the runs changed in the store: re-fetch. */
  version: number;
  /** Buckets per pixel of width. */
  density?: number;
}

/** Calls back once the element comes within 300 px of the viewport. */
export function useVisible(ref: { current: Element | null }): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || visible) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setVisible(true);
          observer.disconnect();
        }
      },
      { rootMargin: "300px" },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [visible]);
  return visible;
}

export function useWidth(ref: { current: Element | null }): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    let timer: number | undefined;
    const observer = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = window.setTimeout(() => setWidth(el.clientWidth), 150);
    });
    observer.observe(el);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, []);
  return width;
}

interface Loaded {
  series: SeriesEntry[];
  arrivedAt: number;
  starts: Map<string, number>;
}

export function MetricChart(props: MetricChartProps) {
  const card = useRef<HTMLDivElement>(null);
  const visible = useVisible(card);
  const width = useWidth(card);
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const starts = useRef(new Map<string, number>());
  const lastSignature = useRef("");
  const runsKey = props.runs.join(",");
  const reload = useCoalescedReload(props.version);

  useEffect(() => setZoom(null), [props.xMode, runsKey, props.metric]);
  // Settings that change how the same data is drawn make a new chart anyway.
  useEffect(() => {
    lastSignature.current = "";
  }, [props.xMode, runsKey, props.metric, zoom, bucketKeyOf(width, props.density)]);

  const buckets = bucketsFor(width, props.density);
  const bucketKey = bucketKeyOf(width, props.density);
  const plotWidth = Math.max(200, width - 24);

  useEffect(() => {
    if (!visible || width === 0) return;
    const controller = new AbortController();
    reload.start();
    const x = props.xMode === "step" ? "step" : "wallTime";
    const load = async (): Promise<SeriesEntry[]> => {
      if (zoom && props.xMode === "relative") {
        // Each run's range is shifted by its own start: one request per run.
        const parts = await Promise.all(
          props.runs.map((run) => {
            const start = starts.current.get(run) ?? 0;
            return getSeries(
              props.experiment,
              {
                runs: [run],
                metric: props.metric,
                x,
                from: zoom.from * 1000 + start,
                to: zoom.to * 1000 + start,
                buckets,
              },
              controller.signal,
            );
          }),
        );
        return parts.flatMap((p) => p.series);
      }
      const response = await getSeries(
        props.experiment,
        { runs: props.runs, metric: props.metric, x, from: zoom?.from, to: zoom?.to, buckets },
        controller.signal,
      );
      return response.series;
    };
    load()
      .then((series) => {
        if (!zoom && x === "wallTime") {
          for (const s of series) if (s.first) starts.current.set(s.run, s.first.wallTime);
        }
        setError(null);
        // A live reload that brings the same data keeps the chart as it is (no redraw under the cursor).
        const signature = seriesSignature(series);
        if (signature === lastSignature.current) return;
        lastSignature.current = signature;
        setLoaded({ series, arrivedAt: performance.now(), starts: new Map(starts.current) });
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== "AbortError") setError((e as Error).message);
      })
      .finally(() => {
        if (!controller.signal.aborted) reload.done();
      });
    return () => {
      controller.abort();
      reload.done();
    };
  }, [
    visible,
    props.experiment,
    props.metric,
    runsKey,
    props.xMode,
    zoom,
    reload.tick,
    bucketKey,
    width === 0,
  ]);

  const lines = useMemo((): ChartLine[] => {
    if (!loaded) return [];
    const byRun = new Map(loaded.series.map((s) => [s.run, s]));
    return props.runs.flatMap((run, i) => {
      const entry = byRun.get(run);
      if (!entry || entry.count === 0) return [];
      const relative = props.xMode === "relative";
      const start = loaded.starts.get(run) ?? entry.first?.wallTime ?? 0;
      return [
        {
          label: run,
          color: runColor(i),
          input: { entry, shift: relative ? -start : 0, scale: relative ? 1 / 1000 : 1 },
        },
      ];
    });
  }, [loaded, runsKey, props.xMode]);

  const empty = loaded && lines.length === 0;
  return html`<section class="card chart-card" ref=${card} data-metric=${props.metric}>
    <h3 class="chart-title">${props.metric}</h3>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${!loaded && !error ? html`<div class="chart-placeholder">${visible ? "Loading…" : ""}</div>` : null}
    ${empty ? html`<p class="muted">No points${zoom ? " in this range" : ""}.</p>` : null}
    ${
      loaded && lines.length > 0 && width > 0
        ? html`<${LineChart}
          lines=${lines}
          xMode=${props.xMode}
          logY=${props.logY}
          smoothing=${props.smoothing}
          arrivedAt=${loaded.arrivedAt}
          width=${plotWidth}
          zoomed=${zoom !== null}
          onZoom=${(range: { from: number; to: number } | null) => setZoom(range)}
        />`
        : null
    }
  </section>`;
}

function bucketsFor(width: number, density = 1): number {
  return Math.min(4000, Math.max(100, Math.round(Math.max(200, width - 24) * density)));
}

function bucketKeyOf(width: number, density = 1): number {
  return Math.round(bucketsFor(width, density) / 100);
}

/** What identifies a response's data: counts, ends and a checksum of every array. */
function seriesSignature(series: readonly SeriesEntry[]): string {
  const sum = (a: ArrayLike<number> | undefined) => {
    let total = 0;
    if (a) for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) total += a[i]! * ((i % 7) + 1);
    return total;
  };
  return JSON.stringify(
    series.map((s) => [
      s.run,
      s.kind,
      s.count,
      s.n,
      s.from,
      s.to,
      s.first,
      s.last,
      sum(s.xs),
      sum(s.ys),
      sum(s.min),
      sum(s.max),
    ]),
  );
}
