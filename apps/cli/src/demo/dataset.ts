import { gaussian, mulberry32, shuffle } from "./prng.js";

export interface Example {
  x: [number, number];
  y: 0 | 1;
}

export interface Dataset {
  train: Example[];
  validation: Example[];
}

/**
 * "Two moons": two interleaved half circles with Gaussian noise, a classic set that a linear model
 * cannot separate but a small MLP can. Deterministic for a given seed; features standardised.
 */
export function twoMoons(options: {
  samples: number;
  noise: number;
  seed: number;
  validationShare: number;
}): Dataset {
  const random = mulberry32(options.seed);
  const examples: Example[] = [];
  for (let i = 0; i < options.samples; i++) {
    const y = (i % 2) as 0 | 1;
    const angle = Math.PI * random();
    const x: [number, number] =
      y === 0 ? [Math.cos(angle), Math.sin(angle)] : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
    x[0] += options.noise * gaussian(random);
    x[1] += options.noise * gaussian(random);
    examples.push({ x, y });
  }
  shuffle(examples, random);
  for (const d of [0, 1] as const) {
    const mean = examples.reduce((s, e) => s + e.x[d], 0) / examples.length;
    const sd = Math.sqrt(examples.reduce((s, e) => s + (e.x[d] - mean) ** 2, 0) / examples.length) || 1;
    for (const e of examples) e.x[d] = (e.x[d] - mean) / sd;
  }
  const cut = Math.round(examples.length * (1 - options.validationShare));
  return { train: examples.slice(0, cut), validation: examples.slice(cut) };
}
