import { NotFoundError, type RunRef, SCHEMA } from "@exprun/core";
import { findContext } from "./contexts.js";
import { experimentContextName, requireExperimentContext } from "./experiments.js";
import { hasStatus, mapLimit, Status } from "./rpc.js";
import { listRuns } from "./run-listing.js";
import { isIncarnation, type RunCache, runContextName, runNotFound } from "./runs.js";
import type { SeriesWriter } from "./series-writer.js";
import type { Session } from "./session.js";
import { lookupTbRun, tbRunArtifactName } from "./tensorboard-link.js";

/** Runs a delete (a long-running operation) to completion; NOT_FOUND counts as done. */
async function deleteQuietly(
  session: Session,
  start: () => Promise<[{ promise(): Promise<unknown> }, ...unknown[]]>,
): Promise<void> {
  try {
    await session.call(async () => {
      const [operation] = await start();
      await operation.promise();
    });
  } catch (error) {
    if (!hasStatus(error, Status.NOT_FOUND)) throw error;
  }
}

/**
 * Python's `ExperimentRun.delete` (VERTEX.md §6.2), cleanly: the run context, and its `-tb-run`
 * reference artifact always (a left-over one would hand the old TensorBoard run to a new run of the
 * same name); the TensorBoard run with its time series only when asked. Legacy runs lose their
 * execution and `-metrics` artifact. NOT_FOUND along the way is tolerated.
 */
export async function deleteRun(
  session: Session,
  cache: RunCache,
  writer: SeriesWriter,
  ref: RunRef,
  options: { deleteBackingTensorboardRun: boolean },
): Promise<void> {
  const id = `${ref.experiment}-${ref.run}`;
  const context = await findContext(session, runContextName(session, ref));
  // A run created again since `ref` was taken is another run: it is not deleted in its place.
  if (context && !isIncarnation(context, ref)) throw runNotFound(ref);
  if (!context) {
    const legacy = `${session.store}/executions/${id}`;
    try {
      const [execution] = await session.call(() => session.md.getExecution({ name: legacy }));
      if (!isIncarnation(execution, ref)) throw runNotFound(ref);
    } catch (error) {
      if (hasStatus(error, Status.NOT_FOUND)) throw runNotFound(ref);
      throw error;
    }
    await deleteQuietly(session, () => session.md.deleteExecution({ name: legacy }));
    await deleteQuietly(session, () =>
      session.md.deleteArtifact({ name: `${session.store}/artifacts/${id}-metrics` }),
    );
    return;
  }
  const tbRun = await lookupTbRun(session, ref.experiment, ref.run);
  if (tbRun) {
    writer.discard(tbRun);
    if (options.deleteBackingTensorboardRun) {
      await deleteQuietly(session, () => session.tb.deleteTensorboardRun({ name: tbRun }));
    }
    await deleteQuietly(session, () =>
      session.md.deleteArtifact({ name: tbRunArtifactName(session, ref.experiment, ref.run) }),
    );
  }
  await deleteQuietly(session, () => session.md.deleteContext({ name: runContextName(session, ref) }));
  cache.forget(ref, session);
}

/** Python's `Experiment.delete`: every run (bounded parallelism), then the experiment context. */
export async function deleteExperiment(
  session: Session,
  cache: RunCache,
  writer: SeriesWriter,
  name: string,
  options: { deleteBackingTensorboardRuns: boolean },
): Promise<void> {
  await requireExperimentContext(session, name);
  const refs: RunRef[] = [];
  let pageToken: string | undefined;
  do {
    const page = await listRuns(session, cache, name, { pageToken });
    // Pipeline runs are the pipelines' own (Python's Experiment.delete leaves them too).
    refs.push(
      ...page.items
        .filter((r) => r.runType !== SCHEMA.pipelineRun)
        .map((r) => ({ experiment: name, run: r.name })),
    );
    pageToken = page.nextPageToken;
  } while (pageToken);
  await mapLimit(refs, session.concurrency, async (ref) => {
    try {
      await deleteRun(session, cache, writer, ref, {
        deleteBackingTensorboardRun: options.deleteBackingTensorboardRuns,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  });
  await deleteQuietly(session, () =>
    session.md.deleteContext({ name: experimentContextName(session, name) }),
  );
}
