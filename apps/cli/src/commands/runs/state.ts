import { ExperimentRun, parseRunState, RUN_STATES } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { safe } from "../../format/safe.js";
import { resolveRun } from "../../resolve.js";
import { runJson } from "../../runs-data.js";
import { action, examples } from "../action.js";

export function registerRunsState(group: Command, io: CliIo): void {
  group
    .command("state")
    .description("set a run's state (any state may follow any state)")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .argument("<state>", `${RUN_STATES.join(" | ")} (upper case, as core names them)`)
    .option("-e, --experiment <name>", "the run's experiment")
    .addHelpText("after", examples("exprun runs state demo/baseline CANCELLED"))
    .action(
      action(io, async (ctx, opts, spec: string, state: string) => {
        const parsed = parseRunState(state);
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
        await run.updateState(parsed);
        if (ctx.json) return ctx.printJson(runJson(run.toJSON()));
        ctx.out(`Run ${safe(`${record.experiment}/${record.name}`)} is now ${parsed}.`);
      }),
    );
}
