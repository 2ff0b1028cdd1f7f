import type { protos } from "@google-cloud/aiplatform";
import { allArtifacts } from "./resources.js";
import { grpcCode, hasStatus, isRetryable, mapLimit, Status } from "./rpc.js";
import { listSeries, type SeriesInfo } from "./series-catalog.js";
import type { Session } from "./session.js";
import { lookupTbRunArtifact, referencedTbRun } from "./tensorboard-link.js";

type Artifact = protos.google.cloud.aiplatform.v1.IArtifact;

// The TensorBoard runs and series of many runs at once, for the experiment DataFrame. Python reads
// them run by run (a reference-artifact GET, a TensorBoard run GET and a series list per run,
// VERTEX.md §6.1, §7). The Vertex API has no documented call that lists either for many runs, so
// this uses what it does document, and falls back to per-run calls where the service refuses:
//  - reference artifacts: ListArtifacts with `name="…-tb-run" OR name="…"` (`name` is a documented
//    artifact filter field), up to BULK_NAMES names a call, halved on INVALID_ARGUMENT;
//  - series: ListTensorboardTimeSeries under `…/experiments/{E}/runs/-`, the AIP-159 wildcard for
//    "every run of the experiment". Vertex does not document it; the first refusal switches it off
//    for the backend's lifetime, and series are then listed run by run.

/** Names per bulk ListArtifacts call, before the service says the filter is too long. */
const BULK_NAMES = 250;
/** Below this, a refused bulk filter means `name` filtering itself is refused: read one by one. */
const MIN_BULK_NAMES = 16;

/** What this backend learned about the service's listing support. */
export interface ListingSupport {
  /** Names per bulk artifact read; 0 once the service refused even small ones. */
  bulkNames: number;
  /** Whether `runs/-` lists a TensorBoard experiment's series; undefined until tried. */
  wildcardSeries: boolean | undefined;
}

export function listingSupport(): ListingSupport {
  return { bulkNames: BULK_NAMES, wildcardSeries: undefined };
}

/** `{E}-{R}-tb-run`'s full name, from the run context's name as the service returned it (project number). */
function tbRunArtifactOf(runContextName: string): string {
  return `${runContextName.replace("/contexts/", "/artifacts/")}-tb-run`;
}

/** A name without its `projects/{id or number}/` head: the service answers with numbers, callers may use ids. */
function key(name: string): string {
  const at = name.indexOf("/locations/");
  return at === -1 ? name : name.slice(at);
}

/**
 * The TensorBoard run of each run context (by its full name), as Python finds it (the reference
 * artifact `{E}-{R}-tb-run`), or `undefined` when it has none.
 */
export async function tensorboardRunsOf(
  session: Session,
  support: ListingSupport,
  runContextNames: readonly string[],
): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  const byArtifact = new Map(runContextNames.map((c) => [key(tbRunArtifactOf(c)), c]));
  const readOneByOne = async (contexts: readonly string[]) => {
    await mapLimit(contexts, session.concurrency, async (context) => {
      out.set(context, await lookupTbRunArtifact(session, tbRunArtifactOf(context)));
    });
  };
  const readChunk = async (contexts: readonly string[]): Promise<void> => {
    if (contexts.length === 0) return; // an empty filter would list every artifact of the store
    if (support.bulkNames < MIN_BULK_NAMES) return readOneByOne(contexts);
    const size = support.bulkNames;
    if (contexts.length > size) {
      for (let i = 0; i < contexts.length; i += size) await readChunk(contexts.slice(i, i + size));
      return;
    }
    const filter = contexts.map((c) => `name="${tbRunArtifactOf(c)}"`).join(" OR ");
    let artifacts: Artifact[];
    try {
      artifacts = await allArtifacts(session, filter);
    } catch (error) {
      if (!hasStatus(error, Status.INVALID_ARGUMENT)) throw error;
      support.bulkNames = Math.floor(contexts.length / 2);
      return readChunk(contexts);
    }
    for (const context of contexts) out.set(context, undefined);
    for (const artifact of artifacts) {
      const context = byArtifact.get(key(artifact.name ?? ""));
      if (context) out.set(context, referencedTbRun(artifact, tbRunArtifactOf(context)));
    }
  };
  await readChunk(runContextNames);
  return out;
}

/** Every scalar series of each TensorBoard run (by its name as given), `[]` for a run that is gone. */
export async function seriesOfRuns(
  session: Session,
  support: ListingSupport,
  tbRuns: readonly string[],
): Promise<Map<string, SeriesInfo[]>> {
  const out = new Map<string, SeriesInfo[]>();
  const byExperiment = groupBy(new Set(tbRuns), (tbRun) => tbRun.slice(0, tbRun.lastIndexOf("/runs/")));
  const oneByOne: string[] = [];
  let refusedNotFound = false;
  for (const [experiment, runs] of byExperiment) {
    if (runs.length < 2 || support.wildcardSeries === false) {
      oneByOne.push(...runs);
      continue;
    }
    const listed = await listExperimentSeries(session, experiment);
    if (listed === "unsupported") support.wildcardSeries = false;
    if (listed === "not found") refusedNotFound = true;
    if (typeof listed === "string") {
      oneByOne.push(...runs);
      continue;
    }
    support.wildcardSeries = true;
    for (const run of runs) out.set(run, listed.get(key(run)) ?? []);
  }
  let anyListed = false;
  await mapLimit(oneByOne, session.concurrency, async (tbRun) => {
    try {
      out.set(tbRun, await listSeries(session, tbRun));
      anyListed = true;
    } catch (error) {
      // A TensorBoard run (or TensorBoard) deleted behind the run's back: a read shows no series.
      if (!hasStatus(error, Status.NOT_FOUND)) throw error;
      out.set(tbRun, []);
    }
  });
  // `runs/-` was NOT_FOUND while runs of that experiment list fine: the service reads "-" as an id.
  if (refusedNotFound && anyListed && support.wildcardSeries === undefined) support.wildcardSeries = false;
  return out;
}

function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * ListTensorboardTimeSeries under `{experiment}/runs/-`, all pages, grouped by run (keyed without
 * the project); a permanent error says the service does not take the wildcard.
 */
async function listExperimentSeries(
  session: Session,
  experiment: string,
): Promise<Map<string, SeriesInfo[]> | "unsupported" | "not found"> {
  try {
    const all = await listSeries(session, `${experiment}/runs/-`);
    return groupBy(all, (series) => key(series.name.slice(0, series.name.lastIndexOf("/timeSeries/"))));
  } catch (error) {
    if (grpcCode(error) === undefined || isRetryable(error)) throw error;
    // NOT_FOUND may mean "no run named -" or "no such TensorBoard experiment": the runs' own lists tell.
    return hasStatus(error, Status.NOT_FOUND) ? "not found" : "unsupported";
  }
}
