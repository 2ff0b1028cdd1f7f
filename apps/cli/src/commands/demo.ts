import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { parseCount } from "../values.js";
import { action, examples } from "./action.js";

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command("demo")
    .description(
      "train a small model for several hyper-parameter settings, log every run, then show the table and loss chart",
    )
    .option("-e, --experiment <name>", "experiment to log to", "demo")
    .option("--epochs <n>", "training epochs per run", "40")
    .option("--seed <n>", "seed of the data and the weights", "7")
    .addHelpText(
      "after",
      `
Trains logistic regression and small MLPs (plain TypeScript, seeded, so results repeat) on a
generated "two moons" data set, logging params, per-epoch loss / val_loss / val_accuracy time
series, final metrics, and the validation confusion matrix and ROC curve. Runs go to the store
(--backend; default ./.exprun); running the demo again adds new runs (suffix -2, -3, …).
${examples(
  "exprun demo",
  "exprun demo --epochs 80 --backend file:/tmp/exprun-demo",
  "exprun demo && exprun runs list -e demo --sort -metric.val_accuracy",
)}`,
    )
    .action(
      action(io, async (ctx, opts) => {
        const { runDemo } = await import("../demo/run-demo.js");
        await runDemo(ctx, {
          experiment: String(opts.experiment),
          epochs: Math.max(1, parseCount("--epochs", String(opts.epochs))),
          seed: parseCount("--seed", String(opts.seed)),
        });
      }),
    );
}
