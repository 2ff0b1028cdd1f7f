import type { protos } from "@google-cloud/aiplatform";
import { errorText, grpcCode, Status } from "./rpc.js";
import type { Session } from "./session.js";

type TimeSeries = protos.google.cloud.aiplatform.v1.ITensorboardTimeSeries;

/** One scalar series of a TensorBoard run, as ListTensorboardTimeSeries reports it. */
export interface SeriesInfo {
  metric: string;
  /** Full resource name `…/runs/{R}/timeSeries/{id}`. */
  name: string;
  /** `metadata.max_step`, when the service reports one (absent on a series without points). */
  maxStep: number | undefined;
}

/** Service limit of BatchCreateTensorboardTimeSeries (VERTEX.md §10.2). */
const CREATE_BATCH = 1000;

function toInfo(series: TimeSeries): SeriesInfo {
  const raw = series.metadata?.maxStep;
  const hasPoints = series.metadata?.maxWallTime != null || (raw != null && Number(raw) !== 0);
  return {
    metric: series.displayName ?? "",
    name: series.name ?? "",
    maxStep: raw != null && hasPoints ? Number(raw) : undefined,
  };
}

/**
 * Every scalar series of a TensorBoard run (all pages). `byCreation` asks the service for creation
 * order (`order_by: create_time`), the order of Python's DataFrame columns; should the service
 * refuse that order, its own order (creation order on the fake) is taken.
 */
export async function listSeries(
  session: Session,
  tbRun: string,
  options: { byCreation?: boolean } = {},
): Promise<SeriesInfo[]> {
  const out: SeriesInfo[] = [];
  let orderBy = options.byCreation ? "create_time" : "";
  let pageToken = "";
  do {
    let items: TimeSeries[];
    let next: string | null | undefined;
    try {
      const [page, , response] = await session.call(() =>
        session.tb.listTensorboardTimeSeries(
          { parent: tbRun, pageSize: 1000, pageToken, orderBy },
          { autoPaginate: false },
        ),
      );
      items = page;
      next = response?.nextPageToken;
    } catch (error) {
      if (orderBy === "" || pageToken !== "" || grpcCode(error) !== Status.INVALID_ARGUMENT) throw error;
      orderBy = "";
      continue;
    }
    for (const series of items)
      if (series.valueType === "SCALAR" || !series.valueType) out.push(toInfo(series));
    pageToken = next ?? "";
  } while (pageToken);
  return out;
}

function isDuplicateSeries(error: unknown): boolean {
  const code = grpcCode(error);
  return (
    code === Status.ALREADY_EXISTS ||
    (code === Status.INVALID_ARGUMENT && /already exist/i.test(errorText(error)))
  );
}

/**
 * Makes sure every metric has a scalar series under the run (`plugin_name` "scalars", display name =
 * metric, service-generated id, as Python creates them), with BatchCreate calls of ≤ 1000 series.
 * A concurrent creator's "already exist" answer is resolved by listing again.
 */
export async function ensureSeries(
  session: Session,
  tbRun: string,
  known: Map<string, string>,
  metrics: Iterable<string>,
  alreadyListed = false,
): Promise<void> {
  const wanted = [...new Set(metrics)];
  let listed = alreadyListed;
  for (let round = 1; ; round++) {
    const missing = wanted.filter((m) => !known.has(m));
    if (missing.length === 0) return;
    if (!listed) {
      for (const s of await listSeries(session, tbRun)) known.set(s.metric, s.name);
      listed = true;
      continue;
    }
    try {
      for (let i = 0; i < missing.length; i += CREATE_BATCH) {
        const chunk = missing.slice(i, i + CREATE_BATCH);
        const [response] = await session.call(
          () =>
            session.tb.batchCreateTensorboardTimeSeries({
              parent: tbRun.slice(0, tbRun.lastIndexOf("/runs/")),
              requests: chunk.map((metric) => ({
                parent: tbRun,
                tensorboardTimeSeries: { displayName: metric, valueType: "SCALAR", pluginName: "scalars" },
              })),
            }),
          false,
        );
        for (const s of response.tensorboardTimeSeries ?? []) known.set(s.displayName ?? "", s.name ?? "");
      }
    } catch (error) {
      if (!isDuplicateSeries(error) || round > 8) throw error;
      listed = false;
    }
  }
}
