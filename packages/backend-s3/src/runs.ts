import {
  type Backend,
  type ExperimentRecord,
  mapLimit,
  newExperimentRecord,
  newRunRecord,
  type Page,
  type RunRef,
  type SeriesQuery,
} from "@exprun/core";
import type { Stamped } from "./crdt.js";
import { create } from "./creation.js";
import { type Dict, dict } from "./dict.js";
import {
  type ExperimentClaim,
  type ExperimentData,
  experimentClaimDelta,
  experimentFieldsDelta,
  experimentIncarnation,
  experimentTombstone,
  experimentView,
  latestView,
  liveRuns,
  type RunClaim,
  runClaimDelta,
  runDeletionDelta,
  runFields,
  runIncarnation,
  runView,
  topExperiment,
  topRun,
} from "./experiment-state.js";
import { parseChunkKey, parseMetaKey } from "./keys.js";
import type { ColumnChunk } from "./series.js";
import { experimentNotFound, type S3Store } from "./store.js";

type ExperimentMethods = Pick<
  Backend,
  "createExperiment" | "getExperiment" | "listExperiments" | "updateExperiment" | "deleteExperiment"
>;
type RunMethods = Pick<
  Backend,
  | "createRun"
  | "getRun"
  | "listRuns"
  | "updateRun"
  | "deleteRun"
  | "assignRunTensorboard"
  | "appendTimeSeries"
  | "readSeries"
  | "latestTimeSeries"
>;

function stamp<T>(v: string, source: Record<string, T> | undefined): Dict<Stamped<T>> | undefined {
  if (!source) return undefined;
  const out = dict<Stamped<T>>();
  for (const [key, x] of Object.entries(source)) out[key] = { v, x };
  return out;
}

function pageAfter<T>(
  items: T[],
  cursor: (item: T) => string,
  pageSize: number | undefined,
  token?: string,
): Page<T> {
  let start = 0;
  if (token !== undefined && token !== "") {
    const index = items.findIndex((item) => cursor(item) > token);
    start = index === -1 ? items.length : index;
  }
  const size = pageSize !== undefined && pageSize > 0 ? pageSize : items.length;
  const slice = items.slice(start, start + size);
  const last = slice[slice.length - 1];
  return {
    items: slice,
    nextPageToken: start + size < items.length && last !== undefined ? cursor(last) : undefined,
  };
}

function warnCleanup(store: S3Store, what: string, error: unknown): void {
  store.options.onWarning(
    `[exprun] [s3] ${what} is deleted, but removing its objects failed; they are invisible to every reader and are removed by a later deletion or compaction: ${error instanceof Error ? error.message : String(error)}`,
    error,
  );
}

export function experimentMethods(store: S3Store): ExperimentMethods {
  const getExperiment = async (name: string) =>
    experimentView(name, (await store.readExperiment(name, "")).data);
  return {
    async createExperiment(experiment) {
      const name = experiment.name;
      const log = store.experimentLog(name);
      const data = await create<ExperimentData, ExperimentClaim>(store, {
        what: `Experiment "${name}"`,
        log,
        run: "",
        next: (d) => {
          const top = topExperiment(d);
          return top?.alive ? undefined : (top?.claim.g ?? 0) + 1;
        },
        claim: (g) => {
          const record = newExperimentRecord(experiment, store.options.now());
          return {
            g,
            description: record.description,
            backingTensorboard: record.backingTensorboard,
            createTime: record.createTime,
          };
        },
        delta: experimentClaimDelta,
        has: (d, v) => d.claims?.[v] !== undefined,
        winner: (d) => experimentIncarnation(d)?.v,
        key: (g) => store.keys.experimentClaim(name, g),
        shape: "experiment",
      });
      store.dirty.add(name);
      const live = experimentIncarnation(data);
      // The folder marker, for servers that list a folder only when it holds an object directly.
      // It is never deleted, so later creations of the name need not write it again.
      if (live?.claim.g === 1)
        await store.transport.put(store.keys.experimentMarker(name), JSON.stringify({ name }));
      return experimentView(name, data) as ExperimentRecord;
    },

    getExperiment,

    async listExperiments(page = {}) {
      const root = store.keys.experimentsRoot();
      const { prefixes } = await store.transport.list(root, { delimiter: "/" });
      // Name order (S3 lists "a-b/" before "a/"; tokens compare names).
      const names = prefixes.flatMap((p) => store.keys.experimentFromPrefix(p) ?? []).sort();
      const after = page.pageToken ? names.filter((name) => name > (page.pageToken as string)) : names;
      const wanted =
        page.pageSize !== undefined && page.pageSize > 0 ? page.pageSize : Number.POSITIVE_INFINITY;
      const items: ExperimentRecord[] = [];
      let index = 0;
      while (index < after.length && items.length < wanted) {
        const batch = after.slice(
          index,
          index + Math.min(store.options.concurrency * 4, wanted - items.length),
        );
        index += batch.length;
        const records = await mapLimit(batch, store.options.concurrency, getExperiment);
        for (const record of records) if (record) items.push(record);
      }
      const last = items[items.length - 1];
      return { items, nextPageToken: index < after.length && last ? last.name : undefined };
    },

    async updateExperiment(name, patch) {
      await store.appendExperiment(
        name,
        (v, data) => {
          const inc = experimentIncarnation(data)?.v as string;
          return experimentFieldsDelta(inc, {
            description: patch.description === undefined ? undefined : { v, x: patch.description },
            backingTensorboard:
              patch.backingTensorboard === undefined ? undefined : { v, x: patch.backingTensorboard },
            updateTime: { v, x: store.options.now() },
          });
        },
        {
          barrier: (data) => (experimentIncarnation(data) ? "list" : "read"),
          check: (data) => {
            if (!experimentIncarnation(data)) throw experimentNotFound(name);
          },
        },
      );
      const record = store.experimentRecord(name);
      if (!record) throw experimentNotFound(name);
      return record;
    },

    async deleteExperiment(name) {
      const log = store.experimentLog(name);
      let version = "";
      // The tombstone is the deletion: it is kept, and only objects at or below its version (written
      // before the deletion; everything after it orders above) are removed, never a tombstone.
      await store.appendExperiment(
        name,
        (v, data) => {
          const live = experimentIncarnation(data);
          if (!live) throw experimentNotFound(name);
          version = v;
          return experimentTombstone(live.v, live.claim, v);
        },
        {
          tombstone: true,
          check: (data) => {
            if (!experimentIncarnation(data)) throw experimentNotFound(name);
          },
        },
      );
      store.series.discard(name);
      store.forgetExperiment(name);
      try {
        const { keys } = await store.transport.list(store.keys.experiment(name));
        const meta = log.metaPrefix;
        const series = store.keys.experimentSeries(name);
        // Only the store's own objects: keys that are not (a user's notes, a copy) are left alone.
        const dead = keys.filter((key) => {
          const parsed = parseMetaKey(meta, key);
          if (parsed) return parsed.kind !== "t" && parsed.version <= version;
          if (key.startsWith(series)) {
            // series/<run>/<incarnation>/<chunk>: a run incarnation older than the deletion.
            const [run, inc] = key.slice(series.length).split("/");
            return (
              inc !== undefined &&
              /^\d{13}-/.test(inc) &&
              inc <= version &&
              parseChunkKey(`${series}${run}/${inc}/`, key) !== undefined
            );
          }
          return false;
        });
        await store.transport.deleteMany(dead);
      } catch (error) {
        warnCleanup(store, `Experiment "${name}"`, error);
      }
    },
  };
}

export function runMethods(store: S3Store): RunMethods {
  const now = () => store.options.now();

  /** Streams the current creation of the run, after this backend's buffered points of it are written. */
  async function readSeries(ref: RunRef, query?: SeriesQuery): Promise<AsyncIterable<ColumnChunk>> {
    store.checkRef(ref);
    // With nothing of the run buffered here, its chunks are listed while the run is looked up (one
    // round trip less); the listing of the run's folder holds every creation's, filtered below.
    const listing = store.series.buffersRun(ref.experiment, ref.run)
      ? undefined
      : store.transport.list(store.keys.runSeries(ref.experiment, ref.run));
    listing?.catch(() => undefined);
    const { run } = await store.requireRun(ref);
    if (!listing) await store.series.flushIncarnation(ref.experiment, ref.run, run.incarnation);
    const prefix = store.keys.incarnationSeries(ref.experiment, ref.run, run.incarnation);
    const mine = listing?.then(({ keys }) => ({ keys: keys.filter((key) => key.startsWith(prefix)) }));
    return store.series.stream(ref.experiment, ref.run, run.incarnation, query, mine);
  }

  return {
    async createRun(experiment, run) {
      store.checkRef({ experiment, run: run.name });
      const log = store.experimentLog(experiment);
      const data = await create<ExperimentData, RunClaim>(store, {
        what: `Run "${run.name}" in experiment "${experiment}"`,
        log,
        run: run.name,
        next: (d) => {
          if (!experimentIncarnation(d)) throw experimentNotFound(experiment);
          const top = topRun(d, run.name);
          return top?.alive ? undefined : (top?.claim.g ?? 0) + 1;
        },
        claim: (g) => {
          // Defaults (run type, times) from core; the incarnation is the claim's version, chosen later.
          const record = newRunRecord(experiment, run, now(), "");
          return {
            g,
            e: experimentIncarnation(log.current())?.v as string,
            state: record.state,
            runType: record.runType,
            createTime: record.createTime,
            updateTime: record.updateTime,
          };
        },
        delta: (v, claim) => runClaimDelta(run.name, v, claim),
        has: (d, v) => d.runs?.[run.name]?.claims?.[v] !== undefined,
        winner: (d) => runIncarnation(d, run.name)?.v,
        key: (g) => {
          const live = experimentIncarnation(log.current());
          return store.keys.runClaim(experiment, live?.claim.g ?? 0, run.name, g);
        },
        shape: "run",
      });
      store.dirty.add(experiment);
      const record = runView(experiment, run.name, data);
      if (!record) throw experimentNotFound(experiment);
      store.rememberRun({ experiment, run: run.name }, record.incarnation);
      return record;
    },

    async getRun(ref) {
      store.checkRef(ref);
      const { data } = await store.readExperiment(ref.experiment, ref.run);
      const record = runView(ref.experiment, ref.run, data);
      const wanted = (ref as { incarnation?: string }).incarnation;
      if (!record || (wanted !== undefined && record.incarnation !== wanted)) {
        if (!record) store.forgetRun(ref);
        return undefined;
      }
      store.rememberRun(ref, record.incarnation);
      return record;
    },

    async listRuns(experiment, page = {}) {
      if (page.withLatestTimeSeries) await store.series.flushAll(experiment);
      const { data } = await store.requireExperiment(experiment);
      const runs = liveRuns(data);
      const slice = pageAfter(runs, (r) => r.inc, page.pageSize, page.pageToken);
      const items = slice.items.flatMap((r) => {
        store.rememberRun({ experiment, run: r.name }, r.inc);
        const record = runView(experiment, r.name, data, page.withLatestTimeSeries === true);
        return record ? [record] : [];
      });
      return { items, nextPageToken: slice.nextPageToken };
    },

    // One barrier read (a LIST, plus GETs of deltas other writers added to this run) and one PUT:
    // the read orders the write after everything acknowledged before it and checks the run exists.
    async updateRun(ref, patch) {
      const inc = await store.writeRun(ref, (v) => ({
        params: stamp(v, patch.params),
        metrics: stamp(v, patch.metrics),
        tags: stamp(v, patch.tags),
        state: patch.state === undefined ? undefined : { v, x: patch.state },
        description: patch.description === undefined ? undefined : { v, x: patch.description },
        updateTime: { v, x: patch.updateTime ?? now() },
      }));
      const record = runView(ref.experiment, ref.run, store.experimentLog(ref.experiment).current());
      if (!record || record.incarnation !== inc) return (await store.requireRun(ref)).run;
      return record;
    },

    async deleteRun(ref) {
      store.checkRef(ref);
      let inc = "";
      await store.appendExperiment(
        ref.experiment,
        (v, data) => {
          const live = store.liveRun(ref, data, "write");
          inc = live.v;
          return runDeletionDelta(ref.run, live.v, live.claim, v);
        },
        {
          tag: ref.run,
          deletion: true,
          check: (data) => {
            store.liveRun(ref, data, "write");
          },
        },
      );
      store.series.discard(ref.experiment, ref.run);
      store.forgetRun(ref);
      // The chunks of every deleted creation of the run (this one, and any an earlier clean-up missed).
      try {
        const data = store.experimentLog(ref.experiment).current();
        const deleted = data.runs?.[ref.run]?.deleted ?? {};
        const root = store.keys.runSeries(ref.experiment, ref.run);
        const { keys } = await store.transport.list(root);
        const dead = keys.filter((key) => {
          const folder = key.slice(root.length).split("/")[0] as string;
          const ours = parseChunkKey(`${root}${folder}/`, key) !== undefined;
          return ours && (folder === inc || deleted[folder] !== undefined);
        });
        await store.transport.deleteMany(dead);
      } catch (error) {
        warnCleanup(store, `Run "${ref.run}" in experiment "${ref.experiment}"`, error);
      }
    },

    async assignRunTensorboard(ref, tensorboard) {
      const name = `${tensorboard}/experiments/${ref.experiment}/runs/${ref.run}`;
      await store.writeRun(ref, (v) => ({ tensorboardRun: { v, x: name }, updateTime: { v, x: now() } }));
      return name;
    },

    async appendTimeSeries(ref, writes) {
      const inc = await store.runIncarnation(ref);
      if (writes.length > 0) await store.series.append(ref.experiment, ref.run, inc, writes);
    },

    // A stream: the run is looked up (and a missing one rejected) on the first next().
    async *readSeries(ref, query) {
      yield* await readSeries(ref, query);
    },

    async latestTimeSeries(ref) {
      const { run } = await store.requireRun(ref);
      await store.series.flushIncarnation(ref.experiment, ref.run, run.incarnation);
      return latestView(runFields(store.experimentLog(ref.experiment).current(), ref.run, run.incarnation));
    },
  };
}
