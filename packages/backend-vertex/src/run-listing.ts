import type { Page, PageRequest, RunRecord, SeriesPoint } from "@exprun/core";
import { SCHEMA } from "@exprun/core";
import { experimentContextName, requireExperimentContext } from "./experiments.js";
import { pipelineRunRecord } from "./pipeline-runs.js";
import { legacyRunRecord, runRecord } from "./records.js";
import { mapLimit } from "./rpc.js";
import { seriesOfRuns, tensorboardRunsOf } from "./run-series-index.js";
import { findLegacyMetrics, type RunCache } from "./runs.js";
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
 * Runs of an experiment, as Python's `get_experiment_df` finds its rows: ListContexts
 * `(schema_title="system.ExperimentRun" OR schema_title="system.PipelineRun") AND parent_contexts:"<E>"`
 * (params, metrics and state come with each run context, so 1,000 runs cost one call; a pipeline
 * run costs two more), then the legacy `system.Run` executions `in_context("<E>")`. Reads only:
 * nothing is created or assigned. The experiment itself is read only when it has no run contexts,
 * to tell an empty experiment from a missing one (a context listed as its child proves it exists).
 */
export async function listRuns(
  session: Session,
  cache: RunCache,
  experiment: string,
  page: PageRequest & { withLatestTimeSeries?: boolean } = {},
): Promise<Page<RunRecord>> {
  const size = Math.min(Math.max(page.pageSize ?? MAX_PAGE, 1), MAX_PAGE);
  const parsed = parseToken(page.pageToken);
  const parent = experimentContextName(session, experiment);
  const items: RunRecord[] = [];
  /** Each run context's name as the service returned it (with the project number). */
  const contextNames = new Map<RunRecord, string>();
  let nextPageToken: string | undefined;
  if (parsed.phase === "c") {
    const [contexts, , response] = await session.call(() =>
      session.md.listContexts(
        {
          parent: session.store,
          filter: `(schema_title="${SCHEMA.experimentRun}" OR schema_title="${SCHEMA.pipelineRun}") AND parent_contexts:"${parent}"`,
          pageSize: size,
          pageToken: parsed.token,
        },
        { autoPaginate: false },
      ),
    );
    if (!page.pageToken && contexts.length === 0) await requireExperimentContext(session, experiment);
    const records = await mapLimit(contexts, session.concurrency, (c) =>
      c.schemaTitle === SCHEMA.pipelineRun
        ? pipelineRunRecord(session, experiment, c)
        : Promise.resolve(runRecord(experiment, c)),
    );
    for (const [i, record] of records.entries()) contextNames.set(record, contexts[i]?.name ?? "");
    items.push(...records);
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
  if (page.withLatestTimeSeries) await attachLatest(session, cache, items, contextNames);
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
 * `latestTimeSeries` of each run: the runs' TensorBoard runs (reference artifacts, read many at a
 * time), their series with `max_step` (one list per TensorBoard experiment where the service takes
 * the `runs/-` wildcard, else one per run), and BatchRead calls of ≤ 20 series shared across runs.
 */
async function attachLatest(
  session: Session,
  cache: RunCache,
  runs: RunRecord[],
  contextNames: Map<RunRecord, string>,
): Promise<void> {
  const tracked = runs.filter((r) => r.runType === SCHEMA.experimentRun && contextNames.get(r));
  for (const record of runs) record.latestTimeSeries = {};
  const tbRunOf = await tensorboardRunsOf(
    session,
    cache.listing,
    tracked.map((r) => contextNames.get(r)!),
  );
  const tbRuns: string[] = [];
  for (const record of tracked) {
    const tbRun = tbRunOf.get(contextNames.get(record)!);
    record.tensorboardRun = tbRun;
    cache.noteTbRun({ experiment: record.experiment, run: record.name }, record.incarnation, tbRun);
    if (tbRun) tbRuns.push(tbRun);
  }
  const seriesByTbRun = await seriesOfRuns(session, cache.listing, tbRuns);
  const latest = await readLatest(session, [...seriesByTbRun.values()].flat());
  for (const record of tracked) {
    const out: Record<string, SeriesPoint> = {};
    for (const s of (record.tensorboardRun && seriesByTbRun.get(record.tensorboardRun)) || []) {
      const point = latest.get(s);
      if (point) out[s.metric] = point;
    }
    record.latestTimeSeries = out;
  }
}
