import { describe, expect, it } from "vitest";
import { rocAuc } from "../src/index.js";

/** The ROC points of scored examples at every distinct threshold, from (0, 0) to (1, 1). */
function rocPoints(scores: number[], labels: (0 | 1)[]): { fpr: number[]; tpr: number[] } {
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  const fpr: number[] = [0];
  const tpr: number[] = [0];
  for (const t of [...new Set(scores)].sort((a, b) => b - a)) {
    const above = scores.map((s, i) => (s >= t ? labels[i] : undefined));
    tpr.push(above.filter((l) => l === 1).length / positives);
    fpr.push(above.filter((l) => l === 0).length / negatives);
  }
  return { fpr, tpr };
}

/** Mann–Whitney: the chance that a positive scores above a negative (ties count a half). */
function rankAuc(scores: number[], labels: (0 | 1)[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((n, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe("rocAuc", () => {
  it("is 1 for a perfect classifier, 0.5 for the diagonal, 0 for an inverted one", () => {
    expect(rocAuc([0, 0, 1], [0, 1, 1])).toBe(1);
    expect(rocAuc([0, 1], [0, 1])).toBe(0.5);
    expect(rocAuc([0, 1, 1], [0, 0, 1])).toBe(0);
  });

  it("equals the rank (Mann–Whitney) AUC of the scores the curve came from, tied scores included", () => {
    const scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.55, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1];
    const labels: (0 | 1)[] = [1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0];
    const { fpr, tpr } = rocPoints(scores, labels);
    expect(rocAuc(fpr, tpr)).toBeCloseTo(rankAuc(scores, labels), 12);
  });

  // Guards against integrating the points in the order given: Python logs them by threshold (false-
  // positive rate falling), a hand-written list may be in any order.
  it("does not depend on the order of the points", () => {
    const fpr = [0, 0.1, 0.3, 0.6, 1];
    const tpr = [0, 0.5, 0.7, 0.9, 1];
    const area = 0.1 * 0.25 + 0.2 * 0.6 + 0.3 * 0.8 + 0.4 * 0.95;
    expect(rocAuc(fpr, tpr)).toBeCloseTo(area, 12);
    expect(rocAuc([...fpr].reverse(), [...tpr].reverse())).toBeCloseTo(area, 12);
    const order = [3, 0, 4, 2, 1];
    expect(
      rocAuc(
        order.map((i) => fpr[i]!),
        order.map((i) => tpr[i]!),
      ),
    ).toBeCloseTo(area, 12);
  });

  // Guards against a vertical step (several points at one false-positive rate) taken top first, which
  // puts the wrong height on each side of it: 0.56 instead of 0.74 here.
  it("takes points of one false-positive rate as a vertical rise, in any order", () => {
    const area = 0.2 * 0.1 + 0.8 * 0.9; // (0,0) → (0.2,0.2) ↑ (0.2,0.8) → (1,1)
    expect(rocAuc([0, 0.2, 0.2, 1], [0, 0.2, 0.8, 1])).toBeCloseTo(area, 12);
    expect(rocAuc([1, 0.2, 0.2, 0], [1, 0.8, 0.2, 0])).toBeCloseTo(area, 12);
    expect(rocAuc([0.2, 0, 1, 0.2, 0.2], [0.8, 0, 1, 0.5, 0.2])).toBeCloseTo(area, 12);
  });

  it("counts a point logged twice once", () => {
    expect(rocAuc([0, 0.5, 0.5, 1], [0, 0.5, 0.5, 1])).toBe(0.5);
    expect(rocAuc([0, 0, 0, 1, 1], [0, 1, 1, 1, 1])).toBe(1);
  });

  it("is the area under the points as logged: no (0, 0) or (1, 1) is added", () => {
    expect(rocAuc([0.2, 0.6], [0.4, 0.8])).toBeCloseTo(0.4 * 0.6, 12);
  });

  it("is 0 for points of one false-positive rate, and undefined where there is no area", () => {
    expect(rocAuc([0, 0, 0], [0, 0.5, 1])).toBe(0);
    expect(rocAuc([0.3, 0.3], [0.7, 0.7])).toBe(0);
    expect(rocAuc([], [])).toBeUndefined();
    expect(rocAuc([0.5], [0.5])).toBeUndefined();
    expect(rocAuc([0, 1], [0, 1, 1])).toBeUndefined();
    expect(rocAuc([0, Number.NaN, 1], [0, 0.5, 1])).toBeUndefined();
    expect(rocAuc([0, 0.5, 1], [0, Number.POSITIVE_INFINITY, 1])).toBeUndefined();
    // What a store may hand back from another tool's artifact: not numbers at all.
    expect(rocAuc([0, "0.5", 1] as unknown as number[], [0, 0.5, 1])).toBeUndefined();
    expect(rocAuc([0, undefined, 1] as unknown as number[], [0, 0.5, 1])).toBeUndefined();
  });

  it("leaves the arrays it is given as they were", () => {
    const fpr = Object.freeze([1, 0, 0.5]);
    const tpr = Object.freeze([1, 0, 0.7]);
    expect(rocAuc(fpr, tpr)).toBeCloseTo(0.5 * 0.35 + 0.5 * 0.85, 12);
    expect(fpr).toEqual([1, 0, 0.5]);
  });
});
