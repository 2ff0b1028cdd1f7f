import { gaussian } from "./prng.js";

/**
 * A binary classifier: logistic regression when `hidden` is 0, else a one-hidden-layer MLP with tanh
 * units and a sigmoid output. Trained with plain SGD on binary cross-entropy.
 */
export class Classifier {
  readonly hidden: number;
  readonly #w1: number[][]; // hidden × 2
  readonly #b1: number[];
  readonly #w2: number[]; // hidden (or 2 for logistic regression)
  #b2 = 0;

  constructor(hidden: number, random: () => number) {
    this.hidden = hidden;
    const inputs = hidden === 0 ? 2 : hidden;
    this.#w1 = Array.from({ length: hidden }, () => [gaussian(random) * 0.8, gaussian(random) * 0.8]);
    this.#b1 = new Array(hidden).fill(0);
    this.#w2 = Array.from({ length: inputs }, () => gaussian(random) * (1 / Math.sqrt(inputs)));
  }

  /** P(y = 1 | x). */
  predict(x: readonly [number, number]): number {
    return sigmoid(this.#logit(this.#features(x)));
  }

  /** One SGD step on a mini-batch; returns the batch's mean loss before the step. */
  step(batch: readonly { x: [number, number]; y: 0 | 1 }[], learningRate: number): number {
    const inputs = this.#w2.length;
    const gw2 = new Array(inputs).fill(0);
    const gw1: number[][] = this.#w1.map(() => [0, 0]);
    const gb1 = new Array(this.hidden).fill(0);
    let gb2 = 0;
    let loss = 0;
    for (const { x, y } of batch) {
      const h = this.#features(x);
      const p = sigmoid(this.#logit(h));
      loss += crossEntropy(p, y);
      const d = p - y; // dL/dlogit
      gb2 += d;
      for (let j = 0; j < inputs; j++) gw2[j] += d * h[j]!;
      for (let j = 0; j < this.hidden; j++) {
        const dh = d * this.#w2[j]! * (1 - h[j]! ** 2);
        gb1[j] += dh;
        gw1[j]![0]! += dh * x[0];
        gw1[j]![1]! += dh * x[1];
      }
    }
    const scale = learningRate / batch.length;
    for (let j = 0; j < inputs; j++) this.#w2[j]! -= scale * gw2[j];
    this.#b2 -= scale * gb2;
    for (let j = 0; j < this.hidden; j++) {
      this.#b1[j]! -= scale * gb1[j];
      this.#w1[j]![0]! -= scale * gw1[j]![0]!;
      this.#w1[j]![1]! -= scale * gw1[j]![1]!;
    }
    return loss / batch.length;
  }

  #features(x: readonly [number, number]): number[] {
    if (this.hidden === 0) return [x[0], x[1]];
    return this.#w1.map((w, j) => Math.tanh(w[0]! * x[0] + w[1]! * x[1] + this.#b1[j]!));
  }

  #logit(h: number[]): number {
    let z = this.#b2;
    for (let j = 0; j < h.length; j++) z += this.#w2[j]! * h[j]!;
    return z;
  }
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function crossEntropy(p: number, y: 0 | 1): number {
  const eps = 1e-12;
  return -(y * Math.log(p + eps) + (1 - y) * Math.log(1 - p + eps));
}
