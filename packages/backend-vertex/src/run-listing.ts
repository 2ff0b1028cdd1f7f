import type { Page, PageRequest, RunRecord, SeriesPoint } from "@exprun/core";
import { SCHEMA } from "@exprun/core";
import { experimentContextName, requireExperimentContext } from "./experiments.js";
import { legacyRunRecord, runRecord } from "./records.js";
import { mapLimit } from "./rpc.js";
import { findLegacyMetrics, type RunCache, tensorboardRunOf } from "./runs.js";
import { listSeries, type SeriesInfo } from "./series-catalog.js";
import { readLatest } from "./series-reader.js";
import { lastSegment, type Session } from "./session.js";

/** Largest page the metadata list methods serve (VERTEX.md §10.1). */
const MAX_PAGE = 1000;

/** Page tokens say which listing they continue: run contexts (`c:`), then legacy executions (`x:`). */
function parseToken(token: string | undefined): { phase: "c" | "x"; token: string } {
  if (token?.startsWith("x:")) return { phase: "x", token: token.slice(2) };
  return { phase: "c", token: token?.startsWith("c:") ? token.slice(2) : "" };
}

/**
 * Runs of an experiment: ListContexts `schema_title="system.ExperimentRun" AND parent_contexts:"<E>"`
 * (params, metrics and state come with each context, so 1,000 runs cost one call), then the legacy
 * `system.Run` executions `in_context("<E>")`. Reads only: nothing is created or assigned.
 */
export async function listRuns(
  session: Session,
  cache: RunCache,
  experiment: string,
  page: PageRequest & { withLatestTimeSeries?: boolean } = {},
): Promise<Page<RunRecord>> {
  const size = Math.min(Math.max(page.pageSize ?? MAX_PAGE, 1), MAX_PAGE);
  const parsed = parseToken(page.pageToken);
  if (!page.pageToken) await requireExperimentContext(session, experiment);
  const parent = experimentContextName(session, experiment);
  const items: RunRecord[] = [];
  let nextPageToken: string | undefined;
  if (parsed.phase === "c") {
    const [contexts, , response] = await session.call(() =>
      session.md.listContexts(
        {
          parent: session.store,
          filter: `schema_title="${SCHEMA.experimentRun}" AND parent_contexts:"${parent}"`,
          pageSize: size,
          pageToken: parsed.token,
        },
        { autoPaginate: false },
      ),
    );
    items.push(...contexts.map((c) => runRecord(experiment, c)));
    if (response?.nextPageToken) nextPageToken = `c:${response.nextPageToken}`;
    else if (items.length < size) {
      const legacy = await legacyPage(session, experiment, parent, size - items.length, "");
      items.push(...legacy.items);
      nextPageToken = legacy.nextPageToken;
    } else nextPageToken = "x:";
  }
  if (parsed.phase === "x") {
    const legacy = await legacyPage(session, experiment, parent, size, parsed.token);
    items.push(...legacy.items);
    nextPageToken = legacy.nextPageToken;
  }
  if (page.withLatestTimeSeries) await attachLatest(session, cache, items);
  return { items, nextPageToken };
}

async function legacyPage(
  session: Session,
  experiment: string,
  parent: string,
  size: number,
  token: string,
): Promise<Page<RunRecord>> {
  const [executions, , response] = await session.call(() =>
    session.md.listExecutions(
      {
        parent: session.store,
        filter: `schema_title="${SCHEMA.legacyRun}" AND in_context("${parent}")`,
        pageSize: size,
        pageToken: token,
      },
      { autoPaginate: false },
    ),
  );
  const items = await mapLimit(executions, session.concurrency, async (e) =>
    legacyRunRecord(experiment, e, await findLegacyMetrics(session, lastSegment(e.name ?? ""))),
  );
  return { items, nextPageToken: response?.nextPageToken ? `x:${response.nextPageToken}` : undefined };
}

/**
 * `latestTimeSeries` of each run: its TensorBoard run (reference artifact), the run's series with
 * `max_step` (one list call), and BatchRead calls of ≤ 20 series shared across runs.
 */
async function attachLatest(session: Session, cache: RunCache, runs: RunRecord[]): Promise<void> {
  const seriesByRun = new Map<RunRecord, SeriesInfo[]>();
  await mapLimit(runs, session.concurrency, async (record) => {
    record.latestTimeSeries = {};
    if (record.runType !== SCHEMA.experimentRun) return;
    const tbRun = await tensorboardRunOf(
      session,
      cache,
      { experiment: record.experiment, run: record.name },
      true,
    );
    record.tensorboardRun = tbRun;
    if (tbRun) seriesByRun.set(record, await listSeries(session, tbRun));
  });
  const all = [...seriesByRun.values()].flat();
  const latest = await readLatest(session, all);
  for (const [record, series] of seriesByRun) {
    const out: Record<string, SeriesPoint> = {};
    for (const s of series) {
      const point = latest.get(s);
      if (point) out[s.metric] = point;
    }
    record.latestTimeSeries = out;
  }
}
