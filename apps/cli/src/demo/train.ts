import type { ExperimentRun } from "@exprun/core";
import type { Dataset } from "./dataset.js";
import { type Evaluation, evaluate } from "./evaluation.js";
import { Classifier } from "./model.js";
import { mulberry32, shuffle } from "./prng.js";

export interface Setting {
  model: "logreg" | "mlp";
  hidden: number;
  learningRate: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Called after each epoch (for a progress bar). */
  onEpoch?(epoch: number): void;
}

/** The run name of a setting, e.g. `mlp-h16-lr0-3` (run names allow no dots). */
export function runNameOf(setting: Setting): string {
  const lr = String(setting.learningRate).replace(".", "-");
  return setting.model === "logreg" ? `logreg-lr${lr}` : `mlp-h${setting.hidden}-lr${lr}`;
}

/**
 * Trains one model and logs to `run`: params first, then per epoch `loss`, `val_loss` and
 * `val_accuracy` as time series at step = epoch, then final metrics and the validation confusion
 * matrix and ROC curve as classification metrics. Ends the run COMPLETE.
 */
export async function trainAndLog(
  run: ExperimentRun,
  data: Dataset,
  setting: Setting,
  options: TrainOptions,
): Promise<Evaluation> {
  const random = mulberry32(options.seed);
  const model = new Classifier(setting.hidden, random);
  await run.logParams({
    model: setting.model,
    hidden_units: setting.hidden,
    learning_rate: setting.learningRate,
    epochs: options.epochs,
    batch_size: options.batchSize,
    seed: options.seed,
    train_examples: data.train.length,
  });
  const train = [...data.train];
  const start = Date.now();
  let last: Evaluation | undefined;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffle(train, random);
    let loss = 0;
    for (let i = 0; i < train.length; i += options.batchSize) {
      const batch = train.slice(i, i + options.batchSize);
      loss += model.step(batch, setting.learningRate) * batch.length;
    }
    last = evaluate(
      data.validation.map((e) => model.predict(e.x)),
      data.validation.map((e) => e.y),
    );
    await run.logTimeSeriesMetrics(
      { loss: loss / train.length, val_loss: last.loss, val_accuracy: last.accuracy },
      { step: epoch, wallTime: start + epoch },
    );
    options.onEpoch?.(epoch);
  }
  const final = last!;
  const trainEval = evaluate(
    data.train.map((e) => model.predict(e.x)),
    data.train.map((e) => e.y),
  );
  await run.logMetrics({
    accuracy: round(trainEval.accuracy),
    val_accuracy: round(final.accuracy),
    val_loss: round(final.loss),
    precision: round(final.precision),
    recall: round(final.recall),
    f1: round(final.f1),
    // Unrounded: exactly the area `runs show` computes from the ROC points logged below.
    auc: final.auc,
  });
  await run.logClassificationMetrics({
    displayName: "validation",
    labels: ["lower moon", "upper moon"],
    matrix: final.matrix,
    fpr: final.roc.fpr,
    tpr: final.roc.tpr,
    threshold: final.roc.thresholds,
  });
  await run.endRun({ state: "COMPLETE" });
  return final;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
