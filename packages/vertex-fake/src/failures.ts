import { status } from "@grpc/grpc-js";
import { RpcError } from "./errors.js";

export interface FailureOptions {
  /** Share of matching calls that fail, 0–1. */
  rate: number;
  /** Codes to fail with, picked at random per failure. @default [UNAVAILABLE, RESOURCE_EXHAUSTED] */
  codes?: status[];
  /** Method names (e.g. `"UpdateContext"`) to fail; all methods when omitted. */
  methods?: string[];
  /** Seed of the pseudo-random sequence, for reproducible runs. @default 1 */
  seed?: number;
}

const DEFAULT_CODES = [status.UNAVAILABLE, status.RESOURCE_EXHAUSTED];

/** mulberry32: a small, fast, seeded PRNG returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decides, call by call, whether to fail it before it touches any state. */
export class FailureInjector {
  #options: Required<Omit<FailureOptions, "methods">> & { methods: Set<string> | undefined } = {
    rate: 0,
    codes: DEFAULT_CODES,
    methods: undefined,
    seed: 1,
  };
  #random = seededRandom(1);

  configure(options: FailureOptions | null): void {
    if (options === null) {
      this.#options = { ...this.#options, rate: 0 };
      return;
    }
    if (!(options.rate >= 0 && options.rate <= 1)) {
      throw new RangeError(
        `[exprun] [vertex-fake] Failure rate must be between 0 and 1, got ${options.rate}.`,
      );
    }
    const codes = options.codes ?? DEFAULT_CODES;
    if (codes.length === 0) throw new RangeError("[exprun] [vertex-fake] Give at least one failure code.");
    this.#options = {
      rate: options.rate,
      codes,
      methods: options.methods ? new Set(options.methods) : undefined,
      seed: options.seed ?? 1,
    };
    this.#random = seededRandom(this.#options.seed);
  }

  /** The error to answer `method` with, or undefined to serve it. */
  next(method: string): RpcError | undefined {
    const { rate, codes, methods } = this.#options;
    if (rate === 0 || (methods && !methods.has(method))) return undefined;
    if (this.#random() >= rate) return undefined;
    const code = codes[Math.floor(this.#random() * codes.length)]!;
    return new RpcError(code, `Injected failure (${status[code]}) by @exprun/vertex-fake for ${method}.`);
  }
}
