import { parseBackendUri, validateName } from "@exprun/core";
import type { ImportPlan, ImportSource } from "@exprun/import";
import type { Command } from "commander";
import type { CliIo, Context } from "../context.js";
import { StoreError } from "../errors.js";
import { startProgress } from "../format/progress.js";
import { renderTable } from "../format/table.js";
import { action, examples } from "./action.js";

const SOURCES = {
  mlflow: "MLflow",
  tensorboard: "TensorBoard",
  wandb: "W&B",
} as const;

export function registerImport(program: Command, io: CliIo): void {
  const group = program
    .command("import")
    .description("bring runs from MLflow, TensorBoard or W&B into an exprun store")
    .addHelpText(
      "after",
      `
Each importer reads its source without changing it, maps it to exprun's experiments and runs (names made
valid: lowercase letters, digits and hyphens), and prints what it brought and what it skipped (artifacts,
images, histograms, … have no place in exprun). Warnings (damaged or truncated files, with the byte offset)
go to stderr; the exit code stays 0. Input that is not what the command reads exits 1.
${examples(
  "exprun import mlflow ./mlruns --dry-run",
  "exprun import mlflow ./mlflow.db --backend s3://team-bucket/exprun --json",
  "exprun import tensorboard ./runs --experiment resnet-sweep",
  "exprun import wandb ./wandb --dry-run --json",
)}`,
    );

  group
    .command("mlflow")
    .description("import an MLflow store: an mlruns folder (FileStore, MLflow 1.x-3.x) or an mlflow.db file")
    .argument("<mlruns-dir | mlflow.db>", "the MLflow store to read")
    .option("--include-deleted", "also import deleted experiments and runs (lifecycle 'deleted', .trash)")
    .option("-n, --dry-run", "read everything and print what would be imported; write nothing")
    .addHelpText(
      "after",
      `
Experiment names become valid exprun names ("Test Sktime" → test-sktime); runs are named from run_name /
the mlflow.runName tag, else the run id. Params, tags (mlflow.* included), the note (mlflow.note.content),
every metric point with its step and timestamp (nan/inf kept), states (FINISHED → COMPLETE, KILLED →
CANCELLED, …) and start/end times are imported; artifacts, datasets, traces and models are not.
${examples(
  "exprun import mlflow ./mlruns --dry-run",
  "exprun import mlflow ./mlruns --backend file:./.exprun",
  "exprun import mlflow ./mlflow.db --include-deleted --json",
)}`,
    )
    .action(
      action(io, async (ctx, opts, source: string) => {
        const { openMlflow } = await import("@exprun/import");
        await runImport(ctx, opts, "mlflow", (onWarning) =>
          openMlflow(source, { includeDeleted: opts.includeDeleted === true, onWarning }),
        );
      }),
    );

  group
    .command("tensorboard")
    .description("import a TensorBoard log directory: every folder holding event files is a run")
    .argument("<logdir>", "the log directory (as given to tensorboard --logdir)")
    .requiredOption("-e, --experiment <name>", "the exprun experiment the runs go into")
    .option("-n, --dry-run", "read everything and print what would be imported; write nothing")
    .addHelpText(
      "after",
      `
Runs are named from their folder's path under the log directory ("May02_18-42/train" → may02-18-42-train).
Scalars (simple_value, and TF2 scalar tensors) become time-series points with their step and wall time;
tag names are kept as metric keys ("train/loss" stays train/loss). hparams become params. Text, images,
histograms, audio and graphs are skipped and counted. Truncated or damaged files keep every valid record.
${examples(
  "exprun import tensorboard ./runs --experiment resnet-sweep --dry-run",
  "exprun import tensorboard ./lightning_logs -e lightning --backend s3://team-bucket/exprun --json",
)}`,
    )
    .action(
      action(io, async (ctx, opts, logdir: string) => {
        const experiment = String(opts.experiment);
        validateName("experiment", experiment);
        const { openTensorBoard } = await import("@exprun/import");
        await runImport(ctx, opts, "tensorboard", (onWarning) =>
          openTensorBoard(logdir, { experiment, onWarning }),
        );
      }),
    );

  group
    .command("wandb")
    .description("import W&B offline runs: a run folder (offline-run-…), or a wandb folder of them")
    .argument("<offline-run-dir | wandb-dir>", "the run folder, or the wandb folder holding run folders")
    .option("-n, --dry-run", "read everything and print what would be imported; write nothing")
    .addHelpText(
      "after",
      `
Each run's .wandb transaction log is replayed: project → experiment, run name (else id) → run, config →
params, history → time-series points, summary → metrics, exit code → state (0 COMPLETE, else FAILED;
no exit record: RUNNING, with a warning), tags and notes. files/config.yaml and wandb-summary.json fill
what the log lacks. Console output, system metrics, media and artifacts are skipped and counted.
${examples(
  "exprun import wandb ./wandb --dry-run",
  "exprun import wandb ./wandb/offline-run-20240101_120000-abc123 --json",
)}`,
    )
    .action(
      action(io, async (ctx, opts, source: string) => {
        const { openWandb } = await import("@exprun/import");
        await runImport(ctx, opts, "wandb", (onWarning) => openWandb(source, { onWarning }));
      }),
    );
}

/** Opens a source, reads it run by run (with progress on a terminal), and prints the summary. */
async function runImport(
  ctx: Context,
  opts: Record<string, unknown>,
  kind: keyof typeof SOURCES,
  open: (onWarning: (message: string) => void) => Promise<ImportSource>,
): Promise<void> {
  const target = ctx.backendUri;
  parseBackendUri(target); // an unknown scheme is a usage error before anything is read
  const dryRun = opts.dryRun === true;
  if (!dryRun) {
    throw new StoreError(
      "[exprun] [import] Writing imported runs into a store is not available in this build yet: it goes through " +
        "core's run-sync (tags, notes, create/update times), which has not landed. Run with --dry-run to read the " +
        "source and see what would be imported.",
    );
  }
  const started = Date.now();
  let progress: Awaited<ReturnType<typeof startProgress>> | undefined;
  const source = await open((message) => {
    progress?.stop();
    ctx.note(ctx.errColors.yellow(`warning: ${printable(message)}`));
  });
  try {
    progress = await startProgress(ctx, source.runCount, `reading ${SOURCES[kind]} runs`);
    const { planImport } = await import("@exprun/import");
    const plan = await planImport(source, {
      onRun: (run) => progress?.tick(printable(`${run.experiment.name}/${run.name}`)),
    });
    progress.stop();
    const seconds = (Date.now() - started) / 1000;
    if (ctx.json) {
      ctx.printJson({ ...plan, backend: target, dryRun, seconds });
      return;
    }
    printPlan(ctx, plan, target, seconds);
  } finally {
    progress?.stop();
    await source.close();
  }
}

function printPlan(ctx: Context, plan: ImportPlan, target: string, seconds: number): void {
  ctx.out(
    `${SOURCES[plan.source]} ${printable(plan.path)} → ${printable(target)} (dry run: nothing written)`,
  );
  if (plan.mapping.experiments.length > 0) {
    ctx.out(
      renderTable({
        head: [`${SOURCES[plan.source]} experiment`, "exprun experiment", "runs"],
        rows: plan.mapping.experiments.map((e) => [printable(e.from), e.to, String(e.runs)]),
        numeric: [false, false, true],
      }),
    );
  }
  const n = (x: number) => x.toLocaleString("en-US");
  ctx.out(
    `Would import ${plural(plan.runs, "run")} in ${plural(plan.experiments, "experiment")}: ${n(plan.params)} params, ` +
      `${n(plan.metrics)} summary metrics, ${n(plan.tags)} tags, ${n(plan.points)} time-series points ` +
      `(read in ${seconds.toFixed(1)} s).`,
  );
  const skipped = Object.entries(plan.skipped);
  if (skipped.length > 0) {
    ctx.out(`Not imported: ${skipped.map(([kind, count]) => `${kind} ${n(count)}`).join(", ")}.`);
  }
  if (plan.warnings.length > 0)
    ctx.note(ctx.errColors.yellow(`${plan.warnings.length} warning(s), printed above.`));
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString("en-US")} ${word}${count === 1 ? "" : "s"}`;
}

/** Source text made safe for a terminal: control characters are shown escaped, never sent. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being escaped.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
