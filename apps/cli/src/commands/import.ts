import { type CheckedBackend, isExprunError, parseBackendUri, validateName } from "@exprun/core";
import type { ImportSource, ImportSummary } from "@exprun/import";
import type { Command } from "commander";
import type { CliIo, Context } from "../context.js";
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
valid: lowercase letters, digits and hyphens) and writes them into the --backend store through the same
run-sync as exprun copy: only what the store lacks is written, so importing again writes nothing ("nothing
to write"). --dry-run compares with the store and counts what would be written. Create and update times are
kept where the store keeps them (Vertex assigns its own; the summary says so). What has no place in exprun
(artifacts, images, histograms, …) or in the store (NaN params and metrics, tags that are not valid Vertex
labels) is counted, not dropped silently. Warnings (damaged or truncated files, with the byte offset) go to
stderr; the exit code stays 0. Input that is not what the command reads exits 1.
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
    .option("-n, --dry-run", "compare with the store and print what would be written; write nothing")
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
    .option("-n, --dry-run", "compare with the store and print what would be written; write nothing")
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
    .option("-n, --dry-run", "compare with the store and print what would be written; write nothing")
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

/** Opens a source, writes it into the store run by run (with progress on a terminal), and prints the summary. */
async function runImport(
  ctx: Context,
  opts: Record<string, unknown>,
  kind: keyof typeof SOURCES,
  open: (onWarning: (message: string) => void) => Promise<ImportSource>,
): Promise<void> {
  const uri = ctx.backendUri;
  parseBackendUri(uri); // an unknown scheme is a usage error before anything is read
  const dryRun = opts.dryRun === true;
  const started = Date.now();
  let progress: Awaited<ReturnType<typeof startProgress>> | undefined;
  const source = await open((message) => {
    progress?.stop();
    ctx.note(ctx.errColors.yellow(`warning: ${printable(message)}`));
  });
  try {
    const { store, absent } = await targetStore(ctx, uri, dryRun);
    progress = await startProgress(ctx, source.runCount, `importing ${SOURCES[kind]} runs`);
    const { importInto } = await import("@exprun/import");
    const summary = await importInto(source, store, {
      dryRun,
      onRun: (run) => progress?.tick(printable(`${run.experiment.name}/${run.name}`)),
    });
    progress.stop();
    const seconds = (Date.now() - started) / 1000;
    const shown = absent ? { ...summary, store: absent } : summary;
    if (ctx.json) {
      ctx.printJson({ ...shown, backend: uri, seconds });
      return;
    }
    printSummary(ctx, shown, uri, seconds, absent !== undefined);
  } finally {
    progress?.stop();
    await source.close();
  }
}

/**
 * The store to import into. A dry run never creates one: when `--backend` names a file store that does
 * not exist yet, the source is compared with an empty store (everything would be written); `absent` is
 * then the scheme shown in the summary.
 */
async function targetStore(
  ctx: Context,
  uri: string,
  dryRun: boolean,
): Promise<{ store: CheckedBackend; absent?: string }> {
  if (!dryRun) return { store: await ctx.backend(uri) };
  try {
    return { store: await ctx.existingBackend(uri) };
  } catch (error) {
    if (!isExprunError(error, "NOT_FOUND") || parseBackendUri(uri).scheme !== "file") throw error;
    return { store: await ctx.backend("memory:"), absent: "file" };
  }
}

function printSummary(
  ctx: Context,
  summary: ImportSummary,
  target: string,
  seconds: number,
  absent: boolean,
): void {
  const n = (x: number) => x.toLocaleString("en-US");
  const { written: w } = summary;
  const where = `${SOURCES[summary.source]} ${printable(summary.path)} → ${printable(target)}`;
  ctx.out(
    summary.dryRun
      ? `${where} (dry run: nothing written${absent ? "; no store there yet, so all of it would be" : ""})`
      : where,
  );
  if (summary.mapping.experiments.length > 0) {
    ctx.out(
      renderTable({
        head: [`${SOURCES[summary.source]} experiment`, "exprun experiment", "runs"],
        rows: summary.mapping.experiments.map((e) => [printable(e.from), e.to, n(e.runs)]),
        numeric: [false, false, true],
      }),
    );
  }
  ctx.out(
    `Read ${plural(summary.runs, "run")} in ${plural(summary.experiments, "experiment")}: ${n(summary.params)} params, ` +
      `${n(summary.metrics)} summary metrics, ${n(summary.tags)} tags, ${n(summary.points)} time-series points ` +
      `(in ${seconds.toFixed(1)} s).`,
  );
  if (summary.nothingToWrite) {
    ctx.out(
      summary.dryRun
        ? "Nothing to write: the store already has all of it."
        : "Nothing to write: the store already had all of it.",
    );
  } else {
    ctx.out(
      renderTable({
        head: ["", "created", "updated", "unchanged"],
        rows: [
          ["experiments", n(w.experiments.created), n(w.experiments.updated), n(w.experiments.unchanged)],
          ["runs", n(w.runs.created), n(w.runs.updated), n(w.runs.unchanged)],
        ],
        numeric: [false, true, true, true],
      }),
    );
    ctx.out(
      `${summary.dryRun ? "Would write" : "Wrote"} ${n(w.params)} params, ${n(w.metrics)} summary metrics, ${n(w.tags)} tags, ` +
        `${n(w.notes)} notes, ${n(w.states)} states, ${n(w.points)} time-series points` +
        (summary.timesKept ? `, ${n(w.times)} update times.` : "."),
    );
    if (w.runs.failed > 0)
      ctx.out(`${plural(w.runs.failed, "run")} could not be written (see the warnings).`);
  }
  if (!summary.timesKept && summary.runs > 0) {
    ctx.out(
      `The ${summary.store} store assigns its own create and update times: the runs' times in ${SOURCES[summary.source]} were not kept.`,
    );
  }
  const skipped = Object.entries(summary.skipped);
  if (skipped.length > 0) {
    ctx.out(`Not imported: ${skipped.map(([kind, count]) => `${kind} ${n(count)}`).join(", ")}.`);
  }
  if (summary.warnings.length > 0)
    ctx.note(ctx.errColors.yellow(`${summary.warnings.length} warning(s), printed above.`));
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
