/**
 * Classification metrics as Python writes them: a `google.ClassificationMetrics` artifact whose
 * metadata holds `confusionMatrix` (`annotationSpecs`, `rows`) and `confidenceMetrics`
 * (`confidenceThreshold`, `recall`, `falsePositiveRate`), checked with Python's messages (VERTEX.md §3.1).
 */
import { InvalidTypeError, ValidationError } from "./errors.js";
import { checkDisplayName } from "./fields.js";
import type { Metadata, MetadataValue } from "./types.js";
import { isPlainObject, typeName } from "./validation.js";

export interface ClassificationMetricsInput {
  labels?: string[];
  matrix?: number[][];
  fpr?: number[];
  tpr?: number[];
  threshold?: number[];
  displayName?: string;
}

export interface ClassificationMetrics {
  id: string;
  displayName: string;
  labels?: string[];
  matrix?: number[][];
  fpr?: number[];
  tpr?: number[];
  thresholds?: number[];
}

/**
 * Checks the input the way Python's `log_classification_metrics` does and returns a copy of it (each
 * field read once, arrays copied), which is what gets encoded.
 */
export function checkClassificationMetrics(input: unknown): ClassificationMetricsInput {
  if (!isPlainObject(input)) {
    throw new InvalidTypeError(
      `logClassificationMetrics takes { labels, matrix, fpr, tpr, threshold, displayName }; got ${typeName(input)}.`,
    );
  }
  const copy: ClassificationMetricsInput = {};
  const labels = arrayField(input.labels, "labels");
  const matrix = arrayField(input.matrix, "matrix");
  const fpr = arrayField(input.fpr, "fpr");
  const tpr = arrayField(input.tpr, "tpr");
  const threshold = arrayField(input.threshold, "threshold");
  const displayName = input.displayName;
  if (displayName !== undefined) copy.displayName = checkDisplayName(displayName);

  const given = (v: unknown[] | undefined) => v !== undefined && v.length > 0;
  if (given(labels) !== given(matrix)) throw new ValidationError("labels and matrix must be set together.");
  const curve = [given(fpr), given(tpr), given(threshold)];
  if (curve.some(Boolean) && !curve.every(Boolean)) {
    throw new ValidationError("fpr, tpr, and thresholds must be set together.");
  }
  if (given(labels) && labels!.length !== matrix!.length) {
    throw new ValidationError(
      `Length of labels and matrix must be the same. Got lengths ${labels!.length} and ${matrix!.length} respectively.`,
    );
  }
  if (curve[0] && (fpr!.length !== tpr!.length || tpr!.length !== threshold!.length)) {
    throw new ValidationError(
      `Length of fpr, tpr and threshold must be the same. Got lengths ${fpr!.length}, ${tpr!.length} and ` +
        `${threshold!.length} respectively.`,
    );
  }
  if (matrix) {
    const rows = matrix.map((row) => (Array.isArray(row) ? [...(row as unknown[])] : row));
    if (!rows.every((row) => Array.isArray(row) && row.every((v) => typeof v === "number"))) {
      throw new InvalidTypeError("matrix must be an array of rows of numbers.");
    }
    copy.matrix = rows as number[][];
  }
  for (const [name, value] of [
    ["fpr", fpr],
    ["tpr", tpr],
    ["threshold", threshold],
  ] as const) {
    if (value?.some((v) => typeof v !== "number"))
      throw new InvalidTypeError(`${name} must contain only numbers.`);
    if (value) copy[name] = value as number[];
  }
  if (labels?.some((l) => typeof l !== "string"))
    throw new InvalidTypeError("labels must contain only strings.");
  if (labels) copy.labels = labels as string[];
  return copy;
}

function arrayField(value: unknown, name: string): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new InvalidTypeError(`${name} must be an array; got ${typeName(value)}.`);
  return [...value];
}

/** The artifact metadata Python writes for checked input. */
export function encodeClassificationMetrics(input: ClassificationMetricsInput): Metadata {
  const { labels, matrix, fpr, tpr, threshold } = input;
  const metadata: Metadata = {};
  if (labels?.length && matrix?.length) {
    metadata.confusionMatrix = {
      annotationSpecs: labels.map((label): MetadataValue => (label ? { displayName: label } : {})),
      rows: matrix.map((row) => [...row]),
    };
  }
  if (fpr?.length && tpr?.length && threshold?.length) {
    metadata.confidenceMetrics = threshold.map((t, i) => ({
      confidenceThreshold: t,
      recall: tpr[i]!,
      falsePositiveRate: fpr[i]!,
    }));
  }
  return metadata;
}

/** Reads back what {@link encodeClassificationMetrics} (or Python) wrote. */
export function decodeClassificationMetrics(artifact: {
  id: string;
  displayName: string;
  metadata: Metadata;
}): ClassificationMetrics {
  const metadata = artifact.metadata as {
    confusionMatrix?: { annotationSpecs?: { displayName?: string }[]; rows?: number[][] };
    confidenceMetrics?: { confidenceThreshold: number; recall: number; falsePositiveRate: number }[];
  };
  const result: ClassificationMetrics = { id: artifact.id, displayName: artifact.displayName };
  if (metadata.confusionMatrix) {
    result.labels = (metadata.confusionMatrix.annotationSpecs ?? []).map((spec) => spec.displayName ?? "");
    result.matrix = metadata.confusionMatrix.rows ?? [];
  }
  if (metadata.confidenceMetrics) {
    result.fpr = metadata.confidenceMetrics.map((m) => m.falsePositiveRate);
    result.tpr = metadata.confidenceMetrics.map((m) => m.recall);
    result.thresholds = metadata.confidenceMetrics.map((m) => m.confidenceThreshold);
  }
  return result;
}

/**
 * The area under a ROC curve given as its points (`fpr[i]`, `tpr[i]`), by the trapezoid rule over the
 * points in order of false-positive rate, and points of one false-positive rate in order of
 * true-positive rate (the curve rises there, as every ROC curve does), so the points may come in any
 * order: Python logs them by threshold. It is the area under the points as logged; no (0, 0) or (1, 1)
 * is added. `undefined` when there is no area: fewer than two points, arrays of different lengths, or
 * a rate that is not a finite number. The CLI, the UI and the demo all use this one.
 */
export function rocAuc(fpr: readonly number[], tpr: readonly number[]): number | undefined {
  if (fpr.length !== tpr.length || fpr.length < 2) return undefined;
  const points = fpr.map((x, i) => [x, tpr[i]!] as const);
  if (!points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) return undefined;
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}
