// A training process for the live-update test: creates a run in the file store given as argv[2] and
// logs one point of "loss" every 150 ms until it has logged argv[4] steps, flushing as it goes.
import { createFileBackend } from "@exprun/backend-file";
import { ExperimentRun } from "@exprun/core";

const [root, experiment, steps] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const backend = createFileBackend({ root, fsync: false, timeSeriesFlushIntervalMs: 100 });
const run = await ExperimentRun.create("live-run", { backend, experiment });
await run.logParams({ learning_rate: 0.05, model: "live" });
process.stdout.write("created\n");
for (let step = 1; step <= steps; step++) {
  await run.logTimeSeriesMetrics({ loss: 1 / step }, { step });
  await run.flush();
  process.stdout.write(`step ${step}\n`);
  await new Promise((resolve) => setTimeout(resolve, 150));
}
await run.endRun();
await backend.close();
process.stdout.write("done\n");
