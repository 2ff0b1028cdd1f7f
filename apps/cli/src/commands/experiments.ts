import { collectPages, Experiment, type ExperimentRecord } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../context.js";
import { isoTime } from "../format/json.js";
import { safe } from "../format/safe.js";
import { renderPairs, renderTable } from "../format/table.js";
import { formatTime } from "../format/value.js";
import { requireExperimentRecord } from "../resolve.js";
import { action, examples } from "./action.js";
import { confirm } from "./confirm.js";

export function registerExperiments(program: Command, io: CliIo): void {
  const group = program
    .command("experiments")
    .alias("exp")
    .description("list, create, show and delete experiments")
    .addHelpText(
      "after",
      examples("exprun experiments list", "exprun experiments create churn --description 'churn model'"),
    );

  group
    .command("list")
    .alias("ls")
    .description("every experiment in the store, with its number of runs")
    .addHelpText(
      "after",
      examples("exprun experiments list", "exprun experiments list --json | jq '.[].name'"),
    )
    .action(
      action(io, async (ctx) => {
        const backend = await ctx.existingBackend();
        const experiments = await collectPages((page) => backend.listExperiments(page));
        const rows = [];
        for (const e of experiments) {
          const runs = await collectPages((page) => backend.listRuns(e.name, page));
          rows.push({ ...experimentJson(e), runs: runs.length });
        }
        if (ctx.json) return ctx.printJson(rows);
        if (rows.length === 0) {
          ctx.out(
            `No experiments in ${safe(ctx.backendUri)}. Create one with: ${ctx.command("experiments create NAME")} (or run: ${ctx.command("demo")})`,
          );
          return;
        }
        ctx.out(
          renderTable({
            head: ["experiment", "runs", "created", "description"],
            rows: rows.map((r) => [
              ctx.colors.bold(safe(r.name)),
              String(r.runs),
              formatTime(Date.parse(r.createTime)),
              safe(r.description),
            ]),
            numeric: [false, true, false, false],
          }),
        );
      }),
    );

  group
    .command("create")
    .description("create an experiment")
    .argument("<name>", "experiment name: lowercase letters, digits and hyphens")
    .option("-d, --description <text>", "what the experiment is about")
    .option("--tensorboard <resource>", "TensorBoard resource name backing its time series (Vertex)")
    .addHelpText("after", examples("exprun experiments create churn --description 'churn model v2'"))
    .action(
      action(io, async (ctx, opts, name: string) => {
        const backend = await ctx.backend();
        const experiment = await Experiment.create(name, {
          backend,
          ...(opts.description ? { description: String(opts.description) } : {}),
          ...(opts.tensorboard ? { backingTensorboard: String(opts.tensorboard) } : {}),
        });
        if (ctx.json) return ctx.printJson(experimentJson(experiment.toJSON()));
        ctx.out(`Created experiment ${ctx.colors.bold(safe(name))} in ${safe(ctx.backendUri)}.`);
      }),
    );

  group
    .command("show")
    .description("an experiment's details and its runs by state")
    .argument("<name>", "experiment name")
    .addHelpText("after", examples("exprun experiments show churn", "exprun experiments show churn --json"))
    .action(
      action(io, async (ctx, _opts, name: string) => {
        const backend = await ctx.existingBackend();
        const record = await requireExperimentRecord(backend, name);
        const runs = await collectPages((page) => backend.listRuns(name, page));
        const byState: Record<string, number> = {};
        for (const r of runs) byState[r.state] = (byState[r.state] ?? 0) + 1;
        const params = new Set<string>();
        const metrics = new Set<string>();
        for (const r of runs) {
          for (const k of Object.keys(r.params)) params.add(k);
          for (const k of Object.keys(r.metrics)) metrics.add(k);
        }
        const json = {
          ...experimentJson(record),
          runs: runs.length,
          runsByState: byState,
          paramKeys: [...params],
          metricKeys: [...metrics],
        };
        if (ctx.json) return ctx.printJson(json);
        ctx.out(
          renderPairs(
            ["experiment", safe(name)],
            [
              ["description", safe(record.description)],
              ["created", formatTime(record.createTime)],
              ["updated", formatTime(record.updateTime)],
              ["backing TensorBoard", safe(record.backingTensorboard ?? "")],
              ["runs", String(runs.length)],
              [
                "runs by state",
                safe(
                  Object.entries(byState)
                    .map(([s, n]) => `${s} ${n}`)
                    .join(", "),
                ),
              ],
              ["params", safe([...params].join(", "))],
              ["metrics", safe([...metrics].join(", "))],
            ],
          ),
        );
      }),
    );

  group
    .command("delete")
    .alias("rm")
    .description("delete an experiment and all its runs (artifacts and executions stay)")
    .argument("<name>", "experiment name")
    .option("-y, --yes", "do not ask for confirmation (needed when stdin is not a terminal)")
    .option("--delete-tensorboard-runs", "also delete the runs' TensorBoard runs (Vertex)")
    .addHelpText("after", examples("exprun experiments delete scratch --yes"))
    .action(
      action(io, async (ctx, opts, name: string) => {
        const backend = await ctx.existingBackend();
        await requireExperimentRecord(backend, name);
        const runs = await collectPages((page) => backend.listRuns(name, page));
        await confirm(
          ctx,
          opts.yes === true,
          `Delete experiment ${safe(name)} and its ${runs.length} run(s)?`,
        );
        await backend.deleteExperiment(name, {
          deleteBackingTensorboardRuns: opts.deleteTensorboardRuns === true,
        });
        if (ctx.json) return ctx.printJson({ deleted: name, runs: runs.length });
        ctx.out(`Deleted experiment ${safe(name)} and ${runs.length} run(s).`);
      }),
    );
}

export function experimentJson(e: ExperimentRecord) {
  return {
    name: e.name,
    description: e.description,
    backingTensorboard: e.backingTensorboard ?? null,
    createTime: isoTime(e.createTime),
    updateTime: isoTime(e.updateTime),
  };
}
