import type { SeriesPoint } from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";
import { hasStatus, mapLimit, Status } from "./rpc.js";
import type { SeriesInfo } from "./series-catalog.js";
import { lastSegment, type Session, timestampMs } from "./session.js";

type DataPoint = protos.google.cloud.aiplatform.v1.ITimeSeriesDataPoint;

/** Service limit of BatchReadTensorboardTimeSeriesData (VERTEX.md §10.2). */
export const BATCH_READ_SERIES = 20;
/** BatchRead samples a scalar series down to this many points. */
const BATCH_READ_SAMPLE = 1000;
const EXPORT_PAGE = 10_000;

function toPoint(metric: string, p: DataPoint): SeriesPoint {
  return {
    metric,
    step: Number(p.step ?? 0),
    wallTime: timestampMs(p.wallTime),
    value: Number(p.scalar?.value ?? 0),
  };
}

/** Every point of one series, complete and unsampled: ExportTensorboardTimeSeriesData, all pages. */
export async function exportSeries(session: Session, series: SeriesInfo): Promise<SeriesPoint[]> {
  const out: SeriesPoint[] = [];
  let pageToken = "";
  do {
    const [points, , response] = await session.call(() =>
      session.tb.exportTensorboardTimeSeriesData(
        { tensorboardTimeSeries: series.name, pageSize: EXPORT_PAGE, pageToken },
        { autoPaginate: false },
      ),
    );
    for (const p of points) out.push(toPoint(series.metric, p));
    pageToken = response?.nextPageToken ?? "";
  } while (pageToken);
  return out;
}

/** One metric's points as parallel columns (core's `SeriesChunk`). */
export interface ColumnChunk {
  metric: string;
  steps: Float64Array;
  wallTimes: Float64Array;
  values: Float64Array;
}

function toChunk(metric: string, points: readonly DataPoint[]): ColumnChunk {
  const chunk = {
    metric,
    steps: new Float64Array(points.length),
    wallTimes: new Float64Array(points.length),
    values: new Float64Array(points.length),
  };
  for (const [i, p] of points.entries()) {
    chunk.steps[i] = Number(p.step ?? 0);
    chunk.wallTimes[i] = timestampMs(p.wallTime);
    chunk.values[i] = Number(p.scalar?.value ?? 0);
  }
  return chunk;
}

/** The export filter for a step range (`step >= a AND step <= b`), or "" for every step. */
function stepFilter(steps: { from?: number; to?: number } | undefined): string {
  const parts: string[] = [];
  if (steps?.from !== undefined) parts.push(`step >= ${Math.ceil(steps.from)}`);
  if (steps?.to !== undefined) parts.push(`step <= ${Math.floor(steps.to)}`);
  return parts.join(" AND ");
}

/**
 * Every point of one series, complete and unsampled, one ExportTensorboardTimeSeriesData page
 * (≤ 10,000 points) per chunk, ordered by step, the next page fetched only when the consumer asks
 * for it. A step range is pushed down as an export filter. Should the service refuse the order or
 * the filter (neither is documented in detail), the export is retried without them: the caller
 * filters again, and on Vertex a step holds one point, so order within a step cannot matter.
 */
export async function* exportChunks(
  session: Session,
  series: SeriesInfo,
  steps?: { from?: number; to?: number },
): AsyncGenerator<ColumnChunk> {
  let request = { orderBy: "step", filter: stepFilter(steps) };
  let pageToken = "";
  do {
    let points: DataPoint[];
    let next: string | null | undefined;
    try {
      const [page, , response] = await session.call(() =>
        session.tb.exportTensorboardTimeSeriesData(
          { tensorboardTimeSeries: series.name, pageSize: EXPORT_PAGE, pageToken, ...request },
          { autoPaginate: false },
        ),
      );
      points = page;
      next = response?.nextPageToken;
    } catch (error) {
      const plain = request.orderBy === "" && request.filter === "";
      if (pageToken !== "" || plain || !hasStatus(error, Status.INVALID_ARGUMENT)) throw error;
      request = { orderBy: "", filter: "" };
      continue;
    }
    if (points.length > 0) yield toChunk(series.metric, points);
    pageToken = next ?? "";
  } while (pageToken);
}

function latestOf(points: readonly SeriesPoint[]): SeriesPoint | undefined {
  let best: SeriesPoint | undefined;
  for (const p of points) if (!best || p.step >= best.step) best = p;
  return best;
}

/** `projects/…/tensorboards/{TB}` of a series or run resource name. */
function tensorboardOf(name: string): string {
  return name.slice(0, name.indexOf("/experiments/"));
}

/**
 * The latest point of each series: BatchRead (≤ 20 series a call, grouped by TensorBoard) and, for
 * a series whose read was sampled and missed its `max_step`, a targeted read of that one point
 * (a full export of the series only if the service cannot order by step).
 * Series with ids that collide (same id under different runs) never share a BatchRead call.
 */
export async function readLatest(
  session: Session,
  series: readonly SeriesInfo[],
): Promise<Map<SeriesInfo, SeriesPoint>> {
  const batches: SeriesInfo[][] = [];
  const byTensorboard = new Map<string, SeriesInfo[][]>();
  for (const s of series) {
    const open = byTensorboard.get(tensorboardOf(s.name)) ?? [];
    byTensorboard.set(tensorboardOf(s.name), open);
    let batch = open.find(
      (b) => b.length < BATCH_READ_SERIES && !b.some((o) => lastSegment(o.name) === lastSegment(s.name)),
    );
    if (!batch) {
      batch = [];
      open.push(batch);
      batches.push(batch);
    }
    batch.push(s);
  }
  const result = new Map<SeriesInfo, SeriesPoint>();
  const needExport: SeriesInfo[] = [];
  await mapLimit(batches, session.concurrency, async (batch) => {
    const [response] = await session.call(() =>
      session.tb.batchReadTensorboardTimeSeriesData({
        tensorboard: tensorboardOf(batch[0]!.name),
        timeSeries: batch.map((s) => s.name),
      }),
    );
    const byId = new Map(
      (response.timeSeriesData ?? []).map((d) => [d.tensorboardTimeSeriesId ?? "", d.values ?? []]),
    );
    for (const s of batch) {
      const values = byId.get(lastSegment(s.name)) ?? [];
      const latest = latestOf(values.map((v) => toPoint(s.metric, v)));
      const complete = values.length < BATCH_READ_SAMPLE || (latest && latest.step === s.maxStep);
      if (latest && complete) result.set(s, latest);
      else if (!complete) needExport.push(s);
    }
  });
  await mapLimit(needExport, session.concurrency, async (s) => {
    const latest = (await exportLastPoint(session, s)) ?? latestOf(await exportSeries(session, s));
    if (latest) result.set(s, latest);
  });
  return result;
}

/**
 * The point at `max_step`, read alone: ExportTensorboardTimeSeriesData ordered by step descending,
 * one point. Trusted only when it is the step `max_step` announced; otherwise `undefined`.
 */
async function exportLastPoint(session: Session, series: SeriesInfo): Promise<SeriesPoint | undefined> {
  if (series.maxStep === undefined) return undefined;
  const [points] = await session.call(() =>
    session.tb.exportTensorboardTimeSeriesData(
      { tensorboardTimeSeries: series.name, orderBy: "step desc", pageSize: 1 },
      { autoPaginate: false },
    ),
  );
  const point = points[0] && toPoint(series.metric, points[0]);
  return point?.step === series.maxStep ? point : undefined;
}
