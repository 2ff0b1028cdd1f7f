// Logs one run to the in-memory store and prints what was stored.
import { createMemoryBackend } from "@exprun/backend-memory";
import { Experiment, init, withRun } from "@exprun/core";

init({ experiment: "quickstart", backend: createMemoryBackend() });

await withRun("run-1", async (run) => {
  await run.logParams({ learning_rate: 0.1, optimizer: "sgd" });
  for (let epoch = 1; epoch <= 5; epoch++) await run.logTimeSeriesMetrics({ loss: 1 / epoch });
  await run.logMetrics({ accuracy: 0.93 });
  await run.logClassificationMetrics({
    labels: ["cat", "dog"],
    matrix: [
      [9, 1],
      [2, 8],
    ],
    displayName: "holdout",
  });
  console.log("time series:");
  console.table(
    (await run.getTimeSeriesDataFrame()).map((r) => ({ ...r, wall_time: r.wall_time.toISOString() })),
  );
});

const experiment = await Experiment.get("quickstart");
console.log("experiment DataFrame:");
console.table(await experiment.getDataFrame());
