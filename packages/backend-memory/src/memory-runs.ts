import {
  AlreadyExistsError,
  applyTags,
  type Backend,
  newExperimentRecord,
  newIncarnation,
  newRunRecord,
  tensorboardRunName,
} from "@exprun/core";
import { RunSeries } from "./memory-series.js";
import { copyRun, MEMORY_BACKEND_NAME, type MemoryStore } from "./memory-store.js";

const backend = MEMORY_BACKEND_NAME;

type ExperimentMethods = Pick<
  Backend,
  "createExperiment" | "getExperiment" | "listExperiments" | "updateExperiment" | "deleteExperiment"
>;
type RunMethods = Pick<
  Backend,
  "createRun" | "getRun" | "listRuns" | "updateRun" | "deleteRun" | "assignRunTensorboard"
>;

export function experimentMethods(store: MemoryStore): ExperimentMethods {
  return {
    async createExperiment(input) {
      if (store.experiments.has(input.name)) {
        throw new AlreadyExistsError(`Experiment ${input.name} already exists.`, { backend });
      }
      const record = newExperimentRecord(input, store.now());
      store.experiments.set(input.name, { record, runs: new Map() });
      return { ...record };
    },
    async getExperiment(name) {
      const found = store.experiments.get(name);
      return found ? { ...found.record } : undefined;
    },
    async listExperiments(request) {
      return store.page(
        [...store.experiments.values()].map((e) => ({ ...e.record })),
        request,
      );
    },
    async updateExperiment(name, patch) {
      const experiment = store.experimentOf(name);
      const record = { ...experiment.record, updateTime: store.now() };
      if (patch.description !== undefined) record.description = patch.description;
      if (patch.backingTensorboard !== undefined) record.backingTensorboard = patch.backingTensorboard;
      experiment.record = record;
      return { ...record };
    },
    async deleteExperiment(name) {
      store.experimentOf(name);
      store.experiments.delete(name);
    },
  };
}

export function runMethods(store: MemoryStore): RunMethods {
  return {
    async createRun(experiment, input) {
      const runs = store.experimentOf(experiment).runs;
      if (runs.has(input.name)) {
        throw new AlreadyExistsError(`Run ${input.name} already exists in experiment ${experiment}.`, {
          backend,
        });
      }
      const record = newRunRecord(experiment, input, store.now(), newIncarnation());
      runs.set(input.name, {
        record,
        series: new RunSeries(),
        artifacts: new Set(),
        executions: new Set(),
        children: new Map(),
      });
      return copyRun(record);
    },
    async getRun(ref) {
      const found = store.findRun(ref);
      return found ? copyRun(found.record) : undefined;
    },
    async listRuns(experiment, request) {
      const result = store.page([...store.experimentOf(experiment).runs.values()], request);
      return {
        nextPageToken: result.nextPageToken,
        items: result.items.map((run) =>
          request?.withLatestTimeSeries
            ? { ...copyRun(run.record), latestTimeSeries: run.series.latest() }
            : copyRun(run.record),
        ),
      };
    },
    async updateRun(ref, patch) {
      const record = store.runOf(ref).record;
      if (patch.params) Object.assign(record.params, patch.params);
      if (patch.metrics) Object.assign(record.metrics, patch.metrics);
      if (patch.state) record.state = patch.state;
      if (patch.tags) record.tags = applyTags(record.tags, patch.tags);
      if (patch.description !== undefined) record.description = patch.description;
      record.updateTime = patch.updateTime ?? store.now();
      return copyRun(record);
    },
    async deleteRun(ref) {
      store.runOf(ref);
      store.experimentOf(ref.experiment).runs.delete(ref.run);
    },
    async assignRunTensorboard(ref, tensorboard) {
      const run = store.runOf(ref);
      run.record.tensorboardRun = tensorboardRunName(tensorboard, ref);
      return run.record.tensorboardRun;
    },
  };
}
