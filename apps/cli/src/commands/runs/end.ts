import { ExperimentRun, parseRunState } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { safe } from "../../format/safe.js";
import { resolveRun } from "../../resolve.js";
import { runJson } from "../../runs-data.js";
import { action, examples } from "../action.js";

export function registerRunsEnd(group: Command, io: CliIo): void {
  group
    .command("end")
    .description("end a run: flush its data and set the state (COMPLETE unless --state)")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .option("-e, --experiment <name>", "the run's experiment")
    .option("--state <state>", "final state (default COMPLETE)")
    .addHelpText(
      "after",
      examples("exprun runs end demo/baseline", "exprun runs end baseline -e churn --state FAILED"),
    )
    .action(
      action(io, async (ctx, opts, spec: string) => {
        const state = opts.state === undefined ? "COMPLETE" : parseRunState(opts.state);
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
        await run.endRun({ state });
        if (ctx.json) return ctx.printJson(runJson(run.toJSON()));
        ctx.out(`Ended run ${safe(`${record.experiment}/${record.name}`)}: ${run.state}.`);
      }),
    );
}
