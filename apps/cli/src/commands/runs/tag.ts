import { ExperimentRun } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { UsageError } from "../../errors.js";
import { safe } from "../../format/safe.js";
import { renderTable } from "../../format/table.js";
import { resolveRun } from "../../resolve.js";
import { runJson } from "../../runs-data.js";
import { action, examples } from "../action.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRunsTag(group: Command, io: CliIo): void {
  group
    .command("tag")
    .description("set or delete a run's tags (string key=value pairs), or print them")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .argument("[key=value...]", "tags to set: the same key is overwritten, other tags stay")
    .option("-e, --experiment <name>", "the run's experiment")
    .option(
      "-d, --delete <key>",
      "delete this tag (repeat for several); a tag that is not set is ignored",
      collect,
    )
    .addHelpText(
      "after",
      `
Tags are strings (a value is kept as written: team=007 is "007"). Filter and sort by them with
tag.KEY (exprun runs list --filter "tag.team = 'vision'"), show them with --columns tag.KEY; export
adds tag.* columns. On Vertex AI, tags are the run context's labels and follow its label rules.
${examples(
  "exprun runs tag demo/mlp-h16-lr0-3 team=vision stage=candidate",
  "exprun runs tag demo/mlp-h16-lr0-3 --delete stage",
  "exprun runs tag demo/mlp-h16-lr0-3 --json",
)}`,
    )
    .action(
      action(io, async (ctx, opts, spec: string, pairs: string[]) => {
        const set: Record<string, string> = {};
        for (const pair of pairs) {
          const eq = pair.indexOf("=");
          if (eq <= 0)
            throw new UsageError(
              `Expected key=value, got ${JSON.stringify(pair)}. Example: exprun runs tag r team=vision`,
            );
          set[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        const deleted = (opts.delete as string[] | undefined) ?? [];
        const both = deleted.filter((k) => Object.hasOwn(set, k));
        if (both.length)
          throw new UsageError(`Tag ${JSON.stringify(both[0])} is both set and deleted; pick one.`);
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
        const before = run.toJSON().tags;
        if (Object.keys(set).length) await run.setTags(set);
        if (deleted.length) await run.deleteTags(deleted);
        const tags = await run.getTags();
        if (ctx.json) return ctx.printJson(runJson({ ...run.toJSON(), tags }));
        const name = safe(`${record.experiment}/${record.name}`);
        const removed = deleted.filter((k) => Object.hasOwn(before, k)).length;
        if (Object.keys(set).length || deleted.length)
          ctx.note(`Set ${Object.keys(set).length} and deleted ${removed} tag(s) of ${name}.`);
        const entries = Object.entries(tags);
        ctx.out(
          entries.length
            ? renderTable({ head: ["tag", "value"], rows: entries.map(([k, v]) => [safe(k), safe(v)]) })
            : `${name} has no tags.`,
        );
      }),
    );
}
