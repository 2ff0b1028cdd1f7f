import { ExperimentRun, parseRunState, RUN_STATES } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { safe } from "../../format/safe.js";
import { requireExperiment } from "../../resolve.js";
import { runJson } from "../../runs-data.js";
import { action, examples } from "../action.js";

export function registerRunsCreate(group: Command, io: CliIo): void {
  group
    .command("create")
    .description("create a run (state RUNNING unless --state); the experiment is created if missing")
    .argument("<run>", "run name: lowercase letters, digits and hyphens")
    .option("-e, --experiment <name>", "experiment (default: $EXPRUN_EXPERIMENT)")
    .option("--state <state>", `initial state: ${RUN_STATES.join(", ")}`)
    .option("--tensorboard <resource>", "TensorBoard resource name for its time series (Vertex)")
    .addHelpText(
      "after",
      examples("exprun runs create baseline -e churn", "exprun runs create trial-2 -e churn --state NEW"),
    )
    .action(
      action(io, async (ctx, opts, name: string) => {
        const state = opts.state === undefined ? undefined : parseRunState(opts.state);
        const backend = await ctx.backend();
        const experiment = requireExperiment(
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
          "runs create",
        );
        const run = await ExperimentRun.create(name, {
          backend,
          experiment,
          ...(state ? { state } : {}),
          ...(opts.tensorboard ? { tensorboard: String(opts.tensorboard) } : {}),
        });
        if (ctx.json) return ctx.printJson(runJson(run.toJSON()));
        ctx.out(`Created run ${ctx.colors.bold(safe(`${experiment}/${name}`))} (${run.state}).`);
      }),
    );
}
