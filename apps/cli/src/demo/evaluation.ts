import { rocAuc } from "@exprun/core";
import { crossEntropy } from "./model.js";

export interface Evaluation {
  loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Area under `roc` (trapezoid rule): the AUC of the curve that is logged, so the two agree. */
  auc: number;
  /** Rows: true class 0, 1; columns: predicted 0, 1. */
  matrix: [[number, number], [number, number]];
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
}

/** Loss, accuracy, precision/recall/F1 at 0.5, the confusion matrix and a ROC curve of 21 thresholds. */
export function evaluate(probabilities: number[], labels: (0 | 1)[]): Evaluation {
  let loss = 0;
  const matrix: [[number, number], [number, number]] = [
    [0, 0],
    [0, 0],
  ];
  probabilities.forEach((p, i) => {
    const y = labels[i]!;
    loss += crossEntropy(p, y);
    matrix[y][p >= 0.5 ? 1 : 0]++;
  });
  const [[tn, fp], [fn, tp]] = matrix;
  const n = labels.length;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const positives = tp + fn;
  const negatives = tn + fp;
  const thresholds: number[] = [];
  const fpr: number[] = [];
  const tpr: number[] = [];
  for (let k = 20; k >= 0; k--) {
    const t = k / 20;
    let tpk = 0;
    let fpk = 0;
    probabilities.forEach((p, i) => {
      if (p >= t) labels[i] === 1 ? tpk++ : fpk++;
    });
    thresholds.push(t);
    tpr.push(positives ? tpk / positives : 0);
    fpr.push(negatives ? fpk / negatives : 0);
  }
  return {
    loss: loss / n,
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1,
    auc: rocAuc(fpr, tpr)!, // 21 points of finite rates: always an area
    matrix,
    roc: { fpr, tpr, thresholds },
  };
}
