import { ExperimentRun } from "@exprun/core";
import type { Command } from "commander";
import type { CliIo } from "../../context.js";
import { safeLines } from "../../format/safe.js";
import { resolveRun } from "../../resolve.js";
import { runJson } from "../../runs-data.js";
import { action, examples } from "../action.js";

export function registerRunsNote(group: Command, io: CliIo): void {
  group
    .command("note")
    .description("set a run's note (its description), or print it")
    .argument("<run>", "RUN, or EXPERIMENT/RUN")
    .argument("[text...]", "the note; words are joined with spaces ('-' reads it from stdin)")
    .option("-e, --experiment <name>", "the run's experiment")
    .option("--clear", "remove the note")
    .addHelpText(
      "after",
      `
Without text, prints the note. On Vertex AI the note is the run context's description.
${examples(
  "exprun runs note demo/mlp-h16-lr0-3 'best so far; try dropout next'",
  "git log -1 --format=%B | exprun runs note demo/mlp-h16-lr0-3 -",
  "exprun runs note demo/mlp-h16-lr0-3 --clear",
)}`,
    )
    .action(
      action(io, async (ctx, opts, spec: string, words: string[]) => {
        let text: string | undefined = words.length ? words.join(" ") : undefined;
        if (text === "-") text = (await readAll(ctx.io.stdin)).replace(/\n$/, "");
        if (opts.clear === true) text = "";
        const backend = await ctx.existingBackend();
        const record = await resolveRun(
          backend,
          spec,
          (opts.experiment as string | undefined) ?? ctx.defaultExperiment(),
        );
        const run = await ExperimentRun.get(record.name, { backend, experiment: record.experiment });
        if (text !== undefined) await run.setDescription(text);
        if (ctx.json) return ctx.printJson(runJson(run.toJSON()));
        if (text !== undefined) ctx.note(text === "" ? "Note cleared." : "Note set.");
        else ctx.out(run.description === "" ? "(no note)" : safeLines(run.description));
      }),
    );
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream)
    text += typeof chunk === "string" ? chunk : (chunk as Buffer).toString("utf8");
  return text;
}
