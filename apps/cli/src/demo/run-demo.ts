import { collectPages, Experiment, ExperimentRun, type RunRecord, readSeriesPoints } from "@exprun/core";
import type { Context } from "../context.js";
import { renderChart } from "../format/chart.js";
import { startProgress } from "../format/progress.js";
import { renderRunsTable } from "../format/runs-table.js";
import { formatNumber } from "../format/value.js";
import { twoMoons } from "./dataset.js";
import { runNameOf, type Setting, trainAndLog } from "./train.js";

export const SETTINGS: Setting[] = [
  { model: "logreg", hidden: 0, learningRate: 0.5 },
  { model: "mlp", hidden: 4, learningRate: 0.1 },
  { model: "mlp", hidden: 8, learningRate: 0.3 },
  { model: "mlp", hidden: 16, learningRate: 0.3 },
];

/** `exprun demo`: trains every setting, logs a run for each, then prints the runs table and a loss chart. */
export async function runDemo(
  ctx: Context,
  options: { experiment: string; epochs: number; seed: number },
): Promise<void> {
  const backend = await ctx.backend();
  const experiment = await Experiment.getOrCreate(options.experiment, {
    backend,
    description: "exprun demo: logistic regression vs small MLPs on two moons",
  });
  const existing = new Set(
    (await collectPages((page) => backend.listRuns(experiment.name, page))).map((r) => r.name),
  );
  const suffix = attemptSuffix(existing);
  const data = twoMoons({ samples: 600, noise: 0.2, seed: options.seed, validationShare: 1 / 3 });
  if (!ctx.json) {
    ctx.note(
      `Training ${SETTINGS.length} models on two moons (${data.train.length} train / ${data.validation.length} validation points), ` +
        `${options.epochs} epochs each, logging to ${ctx.backendUri} experiment ${experiment.name}.`,
    );
  }
  const progress = await startProgress(ctx, SETTINGS.length * options.epochs, "training");
  const records: RunRecord[] = [];
  const started = Date.now();
  try {
    for (const setting of SETTINGS) {
      const name = runNameOf(setting) + suffix;
      const run = await ExperimentRun.create(name, { backend, experiment });
      await trainAndLog(run, data, setting, {
        epochs: options.epochs,
        batchSize: 32,
        seed: options.seed,
        onEpoch: () => progress.tick(name),
      });
      records.push(run.toJSON());
    }
  } finally {
    progress.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  if (ctx.json) {
    ctx.printJson({
      experiment: experiment.name,
      backend: ctx.backendUri,
      runs: records.map((r) => ({ run: r.name, state: r.state, params: r.params, metrics: r.metrics })),
    });
    return;
  }
  records.sort((a, b) => Number(b.metrics.val_accuracy) - Number(a.metrics.val_accuracy));
  ctx.out(
    renderRunsTable(
      records,
      [
        "run",
        "state",
        "param.model",
        "param.hidden_units",
        "param.learning_rate",
        "metric.val_accuracy",
        "metric.val_loss",
        "metric.auc",
        "metric.f1",
      ],
      ctx.colors,
    ),
  );
  const series = [];
  for (const r of records) {
    const points = await readSeriesPoints(
      backend,
      { experiment: experiment.name, run: r.name },
      { metrics: ["val_loss"] },
    );
    series.push({ label: r.name, points: points.map((p) => ({ step: p.step, value: p.value })) });
  }
  ctx.out("");
  ctx.out(
    renderChart(ctx.colors.bold("val_loss by epoch"), series, {
      width: Math.min(options.epochs * 2 + 12, Math.max(40, ctx.terminalWidth)),
      height: 10,
      colors: ctx.colors.isColorSupported ? ctx.colors : undefined,
    }),
  );
  const best = records[0]!;
  const next = (rest: string) => `  ${ctx.command(rest, { withBackend: true })}`;
  ctx.out(
    `\nBest: ${ctx.colors.bold(best.name)} with val_accuracy ${formatNumber(Number(best.metrics.val_accuracy))} ` +
      `(${records.length} runs in ${seconds.toFixed(1)} s).\nNext:\n` +
      [
        next(`runs show ${experiment.name}/${best.name}`),
        next(
          `compare ${records
            .map((r) => `${experiment.name}/${r.name}`)
            .slice(0, 2)
            .join(" ")}`,
        ),
        next(`plot -e ${experiment.name} --metric val_accuracy`),
      ].join("\n"),
  );
}

/** "" the first time, then "-2", "-3", … so that re-running the demo adds runs instead of failing. */
function attemptSuffix(existing: Set<string>): string {
  const first = SETTINGS.map(runNameOf);
  if (!first.some((n) => existing.has(n))) return "";
  for (let k = 2; ; k++) if (!first.some((n) => existing.has(`${n}-${k}`))) return `-${k}`;
}
