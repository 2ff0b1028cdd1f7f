import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fromStruct, toStruct } from "../src/index.js";
import { type Harness, STORE, startHarness } from "./setup.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ projectNumber: "5550" });
}, 30_000);
afterAll(() => h.close());
beforeEach(() => h.fake.reset());

const TB = "projects/5550/locations/us-central1/tensorboards/123";

/** An experiment with one run, a TensorBoard run and a `loss` series, as Python's SDK leaves them. */
function seedPythonRun() {
  const store = h.fake.store;
  const experiment = store.putContext({
    name: `${STORE}/contexts/py-exp`,
    displayName: "py-exp",
    schemaTitle: "system.Experiment",
    schemaVersion: "0.0.1",
    metadata: toStruct({ experiment_deleted: false, backing_tensorboard_resource: TB }),
  });
  const run = store.putContext({
    name: `${STORE}/contexts/py-exp-run-1`,
    displayName: "run-1",
    schemaTitle: "system.ExperimentRun",
    schemaVersion: "0.0.1",
    metadata: toStruct({ _params: { lr: 0.1 }, _metrics: { accuracy: 0.9 }, _state: "COMPLETE" }),
    parentContexts: [experiment.name],
  });
  store.putTensorboard({ name: TB, displayName: "tb" });
  store.putTensorboardExperiment({ name: `${TB}/experiments/py-exp`, displayName: "py-exp" });
  store.putTensorboardRun({ name: `${TB}/experiments/py-exp/runs/run-1`, displayName: "run-1" });
  const loss = store.putTensorboardTimeSeries({
    name: `${TB}/experiments/py-exp/runs/run-1/timeSeries/42`,
    displayName: "loss",
    valueType: "SCALAR",
    pluginName: "scalars",
  });
  store.putTensorboardPoints(
    loss.name,
    [3, 1, 2].map((step) => ({
      step,
      wallTime: { seconds: 1_700_000_000 + step, nanos: 0 },
      scalar: { value: step },
    })),
  );
  return { experiment, run, loss };
}

describe("the store", () => {
  it("serves seeded Python-shaped resources through the real clients", async () => {
    const { experiment, run, loss } = seedPythonRun();
    expect(run.parentContexts).toEqual([experiment.name]);
    const [runs] = await h.metadata.listContexts({
      parent: STORE,
      filter: `schema_title="system.ExperimentRun" AND parent_contexts:"${experiment.name}"`,
    });
    expect(runs.map((r) => fromStruct(r.metadata as never))).toEqual([
      { _params: { lr: 0.1 }, _metrics: { accuracy: 0.9 }, _state: "COMPLETE" },
    ]);
    const [series] = await h.tensorboard.getTensorboardTimeSeries({ name: loss.name });
    expect(Number(series.metadata?.maxStep)).toBe(3);
    expect(h.fake.store.tensorboardPoints(loss.name).map((p) => p.step)).toEqual([1, 2, 3]);
    const [points] = await h.tensorboard.exportTensorboardTimeSeriesData(
      { tensorboardTimeSeries: loss.name, orderBy: "step desc" },
      { autoPaginate: true },
    );
    expect(points.map((p) => p.scalar?.value)).toEqual([3, 2, 1]);
  });

  it("hands out copies: changing a read object does not change the store", () => {
    const { run } = seedPythonRun();
    const copy = h.fake.store.getContext(run.name)!;
    copy.displayName = "changed";
    copy.metadata!.fields._state = { stringValue: "FAILED" };
    expect(h.fake.store.getContext(run.name)?.displayName).toBe("run-1");
    expect(fromStruct(h.fake.store.getContext(run.name)?.metadata)._state).toBe("COMPLETE");
  });

  it("maps project ids to the project number in every accessor", () => {
    const { run } = seedPythonRun();
    expect(run.name.startsWith("projects/5550/")).toBe(true);
    expect(h.fake.store.getContext(`${STORE}/contexts/py-exp-run-1`)?.name).toBe(run.name);
    expect(h.fake.store.canonical(STORE)).toBe("projects/5550/locations/us-central1/metadataStores/default");
  });

  it("empties everything on reset", () => {
    seedPythonRun();
    h.fake.reset();
    expect(h.fake.store.listContexts()).toEqual([]);
    expect(h.fake.store.listTensorboards()).toEqual([]);
    expect(h.fake.store.tensorboardPoints(`${TB}/experiments/py-exp/runs/run-1/timeSeries/42`)).toEqual([]);
  });
});
