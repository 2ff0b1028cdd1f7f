import {
  type Backend,
  chunksFromPoints,
  type ExperimentRecord,
  newExperimentRecord,
  newRunRecord,
  type Page,
  type RunRecord,
  type RunRef,
  type SeriesPoint,
} from "@exprun/core";
import { type Dict, dict } from "./dict.js";
import {
  type ExperimentClaim,
  experimentIncarnation,
  experimentView,
  latestView,
  liveRuns,
  type RunClaim,
  runIncarnation,
  runView,
} from "./experiment-state.js";
import type { RawPoint } from "./series.js";
import { missingExperiment, type S3Store } from "./store.js";
import { mapLimit } from "./transport.js";

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

function stripIncarnation(record: RunRecord & { inc?: string }): RunRecord {
  const { inc: _inc, ...rest } = record;
  return rest;
}

function stamp<T>(v: string, source: Record<string, T> | undefined): Dict<{ v: string; x: T }> | undefined {
  if (!source) return undefined;
  const out = dict<{ v: string; x: T }>();
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

export function experimentMethods(store: S3Store): ExperimentMethods {
  const getExperiment = async (name: string) =>
    experimentView(name, (await store.readExperiment(name, "")).data);
  return {
    async createExperiment(experiment) {
      const log = store.experimentLog(experiment.name);
      store.dirty.add(experiment.name);
      await store.transport.put(
        store.keys.experimentMarker(experiment.name),
        JSON.stringify({ name: experiment.name }),
      );
      const data = await store.claim(
        log,
        `Experiment "${experiment.name}"`,
        (d) => experimentView(experiment.name, d) !== undefined,
        (v) => {
          const claims = dict<ExperimentClaim>();
          const record = newExperimentRecord(experiment, 0);
          claims[v] = { description: record.description, backingTensorboard: record.backingTensorboard };
          return { claims, touched: v };
        },
        (d) => experimentIncarnation(d)?.[0],
        { read: "" },
      );
      return experimentView(experiment.name, data) as ExperimentRecord;
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
      await store.requireExperiment(name, "");
      await store.appendExperiment(name, (v) => ({
        description: patch.description === undefined ? undefined : { v, x: patch.description },
        backingTensorboard:
          patch.backingTensorboard === undefined ? undefined : { v, x: patch.backingTensorboard },
        touched: v,
      }));
      const record = experimentView(name, store.experimentLog(name).current());
      if (!record) throw missingExperiment(name);
      return record;
    },

    async deleteExperiment(name) {
      await store.requireExperiment(name, "");
      store.series.discard(name);
      const log = store.experimentLog(name);
      const version = await store.appendExperiment(name, (v) => ({ deletedAt: v }));
      store.dirty.delete(name);
      store.forgetExperiment(name);
      await store.deleteTree(store.keys.experiment(name), `${log.metaPrefix}d/${version}.json`);
    },
  };
}

export function runMethods(store: S3Store): RunMethods {
  const readRun = async (ref: RunRef) => store.requireRun(ref);
  return {
    async createRun(experiment, run) {
      store.checkRef({ experiment, run: run.name });
      const log = store.experimentLog(experiment);
      store.dirty.add(experiment);
      const data = await store.claim(
        log,
        `Run "${run.name}" in experiment "${experiment}"`,
        (d) => {
          if (!experimentView(experiment, d)) throw missingExperiment(experiment);
          return runIncarnation(d, run.name) !== undefined;
        },
        (v) => {
          const claims = dict<RunClaim>();
          const record = newRunRecord(experiment, run, 0, "");
          claims[v] = { state: record.state, runType: record.runType };
          const runs = dict<{ claims: Dict<RunClaim>; touched: string }>();
          runs[run.name] = { claims, touched: v };
          return { runs };
        },
        (d) => runIncarnation(d, run.name)?.[0],
        { read: run.name, tag: run.name },
      );
      const record = runView(experiment, run.name, data);
      if (!record) throw missingExperiment(experiment);
      store.rememberRun({ experiment, run: run.name }, record.inc);
      return stripIncarnation(record);
    },

    async getRun(ref) {
      store.checkRef(ref);
      const { data } = await store.readExperiment(ref.experiment, ref.run);
      const record = runView(ref.experiment, ref.run, data);
      if (!record) {
        store.forgetRun(ref);
        return undefined;
      }
      store.rememberRun(ref, record.inc);
      return stripIncarnation(record);
    },

    async listRuns(experiment, page = {}) {
      if (page.withLatestTimeSeries) await store.series.flushAll(experiment);
      const data = await store.requireExperiment(experiment);
      const runs = liveRuns(data);
      const slice = pageAfter(runs, (r) => r.inc, page.pageSize, page.pageToken);
      const items = slice.items.flatMap((r) => {
        const record = runView(experiment, r.name, data, page.withLatestTimeSeries === true);
        return record ? [stripIncarnation(record)] : [];
      });
      return { items, nextPageToken: slice.nextPageToken };
    },

    // A run this backend has seen needs no read before the write: the delta is one PUT, and the
    // record returned is this backend's last read of the run plus the update.
    async updateRun(ref, patch) {
      await store.runIncarnation(ref);
      await store.appendRun(ref, (v) => ({
        params: stamp(v, patch.params),
        metrics: stamp(v, patch.metrics),
        state: patch.state === undefined ? undefined : { v, x: patch.state },
      }));
      const record =
        runView(ref.experiment, ref.run, store.experimentLog(ref.experiment).current()) ??
        (await readRun(ref)).run;
      return stripIncarnation(record);
    },

    async deleteRun(ref) {
      await readRun(ref);
      store.series.discard(ref.experiment, ref.run);
      store.forgetRun(ref);
      await store.appendRun(ref, (v) => ({ deletedAt: v }));
      await store.deleteTree(store.keys.runSeries(ref.experiment, ref.run));
    },

    async assignRunTensorboard(ref, tensorboard) {
      await readRun(ref);
      const name = `${tensorboard}/experiments/${ref.experiment}/runs/${ref.run}`;
      await store.appendRun(ref, (v) => ({ tensorboardRun: { v, x: name } }));
      return name;
    },

    async appendTimeSeries(ref, writes) {
      const inc = await store.runIncarnation(ref);
      const points: RawPoint[] = [];
      for (const write of writes) {
        for (const [metric, value] of Object.entries(write.values))
          points.push([metric, write.step, write.wallTime, value]);
      }
      if (points.length > 0) await store.series.append(ref.experiment, ref.run, inc, points);
    },

    // adapter: replaced by issue 11
    async *readSeries(ref, query = {}) {
      await store.series.flushRun(ref.experiment, ref.run);
      const { run } = await readRun(ref);
      const points = await store.series.read(ref.experiment, ref.run, run.inc);
      const wanted = query.metrics ? new Set(query.metrics) : undefined;
      yield* chunksFromPoints(wanted ? points.filter((p) => wanted.has(p.metric)) : points);
    },

    async latestTimeSeries(ref) {
      await store.series.flushRun(ref.experiment, ref.run);
      const { data, run } = await readRun(ref);
      const runData = data.runs?.[ref.run];
      const latest: Record<string, SeriesPoint> = runData ? latestView(runData, run.inc) : {};
      return latest;
    },
  };
}
