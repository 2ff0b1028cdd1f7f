// User-style code, type-checked (not run) by types.test.ts with `tsc --noEmit`, strict, under both
// `moduleResolution: nodenext` and `bundler`. Each line is something a newcomer wrote that failed to
// compile before (issue 16, item 4).
import {
  type CheckedBackend,
  Experiment,
  type ExperimentDataFrameRow,
  ExperimentRun,
  logParams,
  type RunState,
  startRun,
  withRun,
} from "@exprun/core";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

interface TrainingConfig {
  learningRate: number;
  optimizer: string;
  useAmp: boolean;
}

export async function train(backend: CheckedBackend): Promise<void> {
  const cfg: TrainingConfig = { learningRate: 0.1, optimizer: "adam", useAmp: false };
  const run = await ExperimentRun.create("r", { experiment: "types", backend });
  // An interface-typed config is accepted (was TS2345: index signature for type 'string' is missing).
  await run.logParams(cfg);
  await run.logMetrics(cfg);
  await logParams(cfg);

  const rows = await run.getTimeSeriesDataFrame();
  for (const row of rows) {
    const step: number = row.step;
    const when: Date = row.wall_time;
    // A metric column is a number (with noUncheckedIndexedAccess: number | undefined), never a Date.
    const loss = row.loss;
    assertType<Equal<typeof loss, number>>();
    console.log(step, when.toISOString(), loss.toFixed(3));
  }
  const named = await run.getTimeSeriesDataFrame<"loss" | "acc">();
  assertType<Equal<(typeof named)[number]["acc"], number>>();

  const frame: ExperimentDataFrameRow[] = await (await Experiment.get("types", { backend })).getDataFrame();
  const state: RunState = frame[0]!.state;
  assertType<Equal<ExperimentDataFrameRow["state"], RunState>>();
  console.log(state);

  await withRun(undefined, async (r) => r.logParams({ seed: 1 }));
  const generated = await startRun();
  await generated.setTags({ team: "vision" });
  const tags: Record<string, string> = await generated.getTags();
  const created: Date = generated.createTime;
  console.log(tags, created, generated.description);
  // @ts-expect-error: a param value must be a number, string or boolean
  await run.logParams({ when: new Date() });
}
