import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { UsageError } from "../errors.js";
import { startProgress } from "../format/progress.js";
import { renderTable } from "../format/table.js";
import { action, examples } from "./action.js";

export function registerCopy(program: Command, io: CliIo): void {
  program
    .command("copy")
    .description("copy experiments and runs with all their data from one store to another; incremental")
    .requiredOption("--from <uri>", "source store URI")
    .requiredOption("--to <uri>", "target store URI")
    .option("-e, --experiment <name...>", "only these experiments (default: all)")
    .option("-n, --dry-run", "compare and count what would be copied, write nothing")
    .option("--concurrency <n>", "runs copied at once", "4")
    .addHelpText(
      "after",
      `
Copies params, metrics, state, time series (steps and wall times kept), classification metrics and
other artifacts, executions with their input/output events, attributions, pipeline-job children,
TensorBoard assignments, and experiment descriptions. Re-running it writes only what is missing or
changed (compared field by field), so a second run copies nothing. It never deletes in the target.
Artifact and execution ids are kept; if the target uses an id for something else, a stable
alternate id is used. Run types, tags, notes and (where the target keeps times; Vertex does not)
create and update times are kept. Series are compared in buckets of steps and streamed chunk by
chunk. Every write goes through @exprun/core's checks (the same sync the importers use).
${examples(
  "exprun copy --from ./.exprun --to s3://team-bucket/exprun",
  "exprun copy --from file:/scratch/runs --to vertex://my-project/us-central1 -e churn",
  "exprun copy --from ./.exprun --to file:/backup/exprun --json",
  "exprun copy --from ./.exprun --to s3://team-bucket/exprun --dry-run   # count, write nothing",
)}`,
    )
    .action(
      action(io, async (ctx, opts) => {
        const from = String(opts.from);
        const to = String(opts.to);
        if (from === to) throw new UsageError("--from and --to name the same store; nothing to copy.");
        const concurrency = Number(opts.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1)
          throw new UsageError("--concurrency must be a positive integer.");
        const [source, target] = await Promise.all([ctx.existingBackend(from), ctx.backend(to)]);
        const { copyStore } = await import("../copy/copy-store.js");
        const started = Date.now();
        let progress: Awaited<ReturnType<typeof startProgress>> | undefined;
        try {
          const summary = await copyStore(source, target, {
            from,
            to,
            concurrency,
            dryRun: opts.dryRun === true,
            ...(opts.experiment ? { experiments: opts.experiment as string[] } : {}),
            onStart: async (runs) => {
              progress = await startProgress(ctx, runs, "copying runs");
            },
            onRun: (run) => progress?.tick(`${run.experiment}/${run.name}`),
          });
          progress?.stop();
          const seconds = (Date.now() - started) / 1000;
          if (ctx.json) return ctx.printJson({ ...summary, seconds });
          const { experiments: e, runs: r, copied: c } = summary;
          ctx.out(
            renderTable({
              head: ["", "created", "updated", "unchanged"],
              rows: [
                ["experiments", String(e.created), String(e.updated), String(e.unchanged)],
                ["runs", String(r.created), String(r.updated), String(r.unchanged)],
              ],
              numeric: [false, true, true, true],
            }),
          );
          ctx.out(
            `${summary.dryRun ? "Would copy" : "Copied"} ${c.params} params, ${c.metrics} metrics, ${c.points} time-series points, ${c.artifacts} artifacts, ` +
              `${c.executions} executions (${c.executionUpdates} updated), ${c.attributions} links, ${c.children} children, ` +
              `${c.tags} tags, ${c.notes} notes, ${c.times} update times ` +
              `from ${from} to ${to} in ${seconds.toFixed(1)} s.`,
          );
          for (const w of summary.warnings) ctx.note(ctx.errColors.yellow(`warning: ${w}`));
        } finally {
          progress?.stop();
        }
      }),
    );
}
