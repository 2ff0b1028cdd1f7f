// The page's side of the JSON API: fetch with typed errors, the series wire format, live events.

export type Value = number | string | boolean;

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** `{"$float":"NaN"}` back to NaN (and ±Infinity, -0): the tagged numbers of @exprun/core's JSON codec. */
function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>).$float;
    if (typeof tagged === "string" && Object.keys(value).length === 1) {
      if (tagged === "NaN") return Number.NaN;
      if (tagged === "Infinity") return Number.POSITIVE_INFINITY;
      if (tagged === "-Infinity") return Number.NEGATIVE_INFINITY;
      if (tagged === "-0") return -0;
    }
  }
  return value;
}

export function parseApiJson<T>(text: string): T {
  return JSON.parse(text, reviver) as T;
}

async function failure(response: Response): Promise<ApiFailure> {
  try {
    const body = parseApiJson<{ error?: { code?: string; message?: string } }>(await response.text());
    return new ApiFailure(
      response.status,
      body.error?.code ?? "HTTP",
      body.error?.message ?? response.statusText,
    );
  } catch {
    return new ApiFailure(response.status, "HTTP", `${response.status} ${response.statusText}`);
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  // No extra headers: the runs table's first request must match the page's preload.
  const response = await fetch(path, { signal: signal ?? null });
  if (!response.ok) throw await failure(response);
  return parseApiJson<T>(await response.text());
}

/** Builds `path?k=v…`, leaving out empty values. */
export function withQuery(
  path: string,
  query: Record<string, string | number | boolean | undefined | null>,
): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    params.set(k, String(v));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export const enc = encodeURIComponent;

// ── types of the API's answers ──────────────────────────────────────────────────────────────────

export interface StoreInfo {
  backend: string;
  label: string;
  pollIntervalMs: number;
}

export interface ExperimentSummary {
  name: string;
  description: string;
  createTime: number;
  lastUpdate: number;
  runs: number;
  runsByState: Record<string, number>;
  backingTensorboard?: string | null;
}

export interface RunsPage {
  experiment: { name: string; description: string };
  total: number;
  scanned: number;
  columns: string[];
  rows: (Value | null)[][];
  next?: string;
  allColumns?: { params: string[]; metrics: string[]; series: string[]; tags: string[] };
}

export interface ExactPoint {
  step: number;
  wallTime: number;
  value: number;
}

export interface ArtifactInfo {
  id: string;
  displayName: string;
  schemaTitle: string;
  uri: string;
  state: string;
  description: string;
  createTime: number;
}

export interface RunDetail {
  run: {
    experiment: string;
    name: string;
    runType: string;
    state: string;
    createTime: number;
    updateTime: number;
    tensorboardRun: string | null;
    params: Record<string, Value>;
    metrics: Record<string, Value>;
    tags: Record<string, string>;
    description: string;
  };
  series: {
    metric: string;
    count: number;
    first: ExactPoint | null;
    last: ExactPoint | null;
    min: number;
    max: number;
  }[];
  classification: {
    id: string;
    displayName: string;
    labels?: string[];
    matrix?: number[][];
    fpr?: number[];
    tpr?: number[];
    thresholds?: number[];
    auc?: number;
  }[];
  executions: {
    id: string;
    displayName: string;
    schemaTitle: string;
    state: string;
    createTime: number;
    inputs: ArtifactInfo[];
    outputs: ArtifactInfo[];
  }[];
  artifacts: ArtifactInfo[];
  pipelineJobs: { resourceName: string; displayName: string }[];
}

export interface CompareData {
  runs: {
    name: string;
    state: string;
    createTime: number;
    params: Record<string, Value>;
    metrics: Record<string, Value>;
    seriesMetrics: string[];
  }[];
  missing: string[];
  params: { differing: string[]; same: number };
  seriesMetrics: string[];
}

export interface ParallelData {
  fields: string[];
  runs: string[];
  states: string[];
  columns: (Value | null)[][];
  total: number;
  truncated: boolean;
}

// ── series ───────────────────────────────────────────────────────────────────────────────────────

export type XAxis = "step" | "wallTime";

export interface SeriesEntry {
  run: string;
  metric: string;
  x: XAxis;
  count: number;
  first: ExactPoint | null;
  last: ExactPoint | null;
  kind: "raw" | "buckets";
  n: number;
  from?: number;
  to?: number;
  /** Raw: the points' x. Buckets: the bucket centres. */
  xs: Float64Array;
  /** Raw: the values. Buckets: the last value of each bucket. */
  ys: Float64Array | Float32Array;
  min?: Float64Array | Float32Array;
  max?: Float64Array | Float32Array;
}

export interface SeriesResponse {
  series: SeriesEntry[];
  missing: string[];
  bytes: number;
  serverMs: number | undefined;
}

/** Decodes the binary series response (format: @exprun/ui `series-wire.ts`). */
export function decodeSeries(buffer: ArrayBuffer): { series: SeriesEntry[]; missing: string[] } {
  const bytes = new Uint8Array(buffer);
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== "EXS1")
    throw new ApiFailure(200, "BAD_RESPONSE", "The series response is not in the expected format.");
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = parseApiJson<{
    series: (Omit<SeriesEntry, "xs" | "ys" | "min" | "max"> & { dtype: "f32" | "f64"; offset: number })[];
    missing: string[];
  }>(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const dataStart = Math.ceil((8 + headerLength) / 8) * 8;
  const series: SeriesEntry[] = header.series.map((h) => {
    let at = dataStart + h.offset;
    const take = (dtype: "f32" | "f64") => {
      const size = dtype === "f32" ? 4 : 8;
      const array = dtype === "f32" ? new Float32Array(buffer, at, h.n) : new Float64Array(buffer, at, h.n);
      at += size * h.n;
      return array;
    };
    const { dtype, offset: _offset, ...rest } = h;
    if (h.kind === "raw") {
      const xs = take("f64") as Float64Array;
      const ys = take("f64");
      return { ...rest, xs, ys };
    }
    const min = take(dtype);
    const max = take(dtype);
    take(dtype); // first value per bucket: the line uses the last
    const last = take(dtype);
    const xs = new Float64Array(h.n);
    const from = h.from ?? 0;
    const width = ((h.to ?? from) - from) / h.n;
    for (let i = 0; i < h.n; i++) xs[i] = from + (i + 0.5) * width;
    return { ...rest, xs, ys: last, min, max };
  });
  return { series, missing: header.missing };
}

export async function getSeries(
  experiment: string,
  query: {
    runs: string[];
    metric: string;
    x: XAxis;
    from?: number | undefined;
    to?: number | undefined;
    buckets: number;
  },
  signal?: AbortSignal,
): Promise<SeriesResponse> {
  const path = withQuery(`/api/experiments/${enc(experiment)}/series`, {
    runs: query.runs.join(","),
    metric: query.metric,
    x: query.x,
    from: query.from,
    to: query.to,
    buckets: query.buckets,
  });
  const response = await fetch(path, { signal: signal ?? null });
  if (!response.ok) throw await failure(response);
  const timing = /dur=([\d.]+)/.exec(response.headers.get("server-timing") ?? "");
  const buffer = await response.arrayBuffer();
  return {
    ...decodeSeries(buffer),
    bytes: buffer.byteLength,
    serverMs: timing ? Number(timing[1]) : undefined,
  };
}

// ── live ─────────────────────────────────────────────────────────────────────────────────────────

export interface RunsChanged {
  kind: "baseline" | "change";
  changed: string[];
  truncated: boolean;
  removed: string[];
  total: number;
}

/** Listens to an experiment's run changes (Server-Sent Events); returns the function that stops. */
export function watchExperiment(experiment: string, onChange: (event: RunsChanged) => void): () => void {
  const source = new EventSource(`/api/experiments/${enc(experiment)}/events`);
  source.addEventListener("runs", (e) =>
    onChange(parseApiJson<RunsChanged>((e as MessageEvent<string>).data)),
  );
  return () => source.close();
}
