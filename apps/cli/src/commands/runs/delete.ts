import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { safe } from "../../format/safe.js";
import { resolveRun } from "../../resolve.js";
import { action, examples } from "../action.js";
import { confirm } from "../confirm.js";

export function registerRunsDelete(group: Command, io: CliIo): void {
  group
    .command("delete")
    .alias("rm")
    .description("delete a run with its params, metrics and time series (artifacts and executions stay)")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .option("-e, --experiment <name>", "the run's experiment")
    .option("-y, --yes", "do not ask for confirmation (needed when stdin is not a terminal)")
    .option("--delete-tensorboard-run", "also delete its TensorBoard run (Vertex)")
    .addHelpText("after", examples("exprun runs delete demo/logreg-lr0-5 --yes"))
    .action(
      action(io, async (ctx, opts, spec: string) => {
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        const name = safe(`${record.experiment}/${record.name}`);
        await confirm(ctx, opts.yes === true, `Delete run ${name}?`);
        // The run confirmed is the one deleted: with its incarnation, a run deleted and created again
        // meanwhile (another process) is not found, and stays.
        await backend.deleteRun(
          {
            experiment: record.experiment,
            run: record.name,
            ...(record.incarnation ? { incarnation: record.incarnation } : {}),
          },
          { deleteBackingTensorboardRun: opts.deleteTensorboardRun === true },
        );
        if (ctx.json) return ctx.printJson({ deleted: { experiment: record.experiment, run: record.name } });
        ctx.out(`Deleted run ${name}.`);
      }),
    );
}
