import { type Backend, type CreateRunOptions, type ErrorCode, Experiment, ExperimentRun } from "@exprun/core";
import { afterAll, beforeAll, expect } from "vitest";

export interface ConformanceOptions {
  /**
   * A TensorBoard resource name to back runs' time series, or a function making one. Required when the
   * backend declares `capabilities.requiresTensorboard` (Vertex); ignored otherwise.
   */
  tensorboard?: string | (() => string | Promise<string>);
  /**
   * Timeout for the heavy tests (1,000 runs, 100,000 points), in ms. Raise it for slow remote stores.
   * @default 120000
   */
  heavyTimeout?: number;
}

/** Makes a fresh backend. Each group gets its own; the suite closes it afterwards. */
export type MakeBackend = () => Backend | Promise<Backend>;

let counter = 0;
const session = Math.random().toString(36).slice(2, 7);

/** What each group of the suite works with. */
export class SuiteContext {
  #backend: Backend | undefined;
  #tensorboard: string | undefined;
  readonly heavyTimeout: number;

  constructor(
    private readonly make: MakeBackend,
    private readonly options: ConformanceOptions,
  ) {
    this.heavyTimeout = options.heavyTimeout ?? 120_000;
  }

  get backend(): Backend {
    if (!this.#backend)
      throw new Error("[exprun] [conformance] The backend is not ready: use it inside a test.");
    return this.#backend;
  }

  /** Sets up a backend for the enclosing describe block and closes it after. */
  useBackend(): void {
    beforeAll(async () => {
      this.#backend = await this.make();
      if (this.#backend.capabilities.requiresTensorboard) {
        const tb = this.options.tensorboard;
        if (tb === undefined) {
          throw new Error(
            `[exprun] [conformance] The ${this.#backend.name} backend requires a TensorBoard for time series: ` +
              "pass { tensorboard } to describeBackend.",
          );
        }
        this.#tensorboard = typeof tb === "string" ? tb : await tb();
      }
    }, 60_000);
    afterAll(async () => {
      await this.#backend?.close?.();
      this.#backend = undefined;
    }, 60_000);
  }

  /** A name no other test of this process uses. */
  unique(prefix = "e"): string {
    counter += 1;
    return `${prefix}-${session}-${counter}`;
  }

  async experiment(description?: string): Promise<Experiment> {
    return Experiment.create(this.unique("exp"), {
      backend: this.backend,
      ...(description ? { description } : {}),
    });
  }

  /** Creates a run (with the TensorBoard when the backend needs one). */
  async run(
    experiment?: Experiment | string,
    name?: string,
    options: CreateRunOptions = {},
  ): Promise<ExperimentRun> {
    const exp = experiment ?? (await this.experiment());
    return ExperimentRun.create(name ?? this.unique("run"), {
      backend: this.backend,
      experiment: exp,
      ...(this.#tensorboard ? { tensorboard: this.#tensorboard } : {}),
      ...options,
    });
  }

  get tensorboard(): string | undefined {
    return this.#tensorboard;
  }
}

/** Asserts that `promise` rejects with an exprun error of the given code (checked by `code`, not class identity). */
export async function expectCode(
  promise: Promise<unknown>,
  code: ErrorCode,
  message?: RegExp | string,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a rejection with code ${code}`).toBeInstanceOf(Error);
  expect((error as { code?: string }).code).toBe(code);
  if (message !== undefined) expect((error as Error).message).toMatch(message);
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inBatches<T>(
  count: number,
  limit: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

/**
 * Skips the running test unless the backend declares `capability` as `wanted`, printing why. The only
 * way a conformance test is switched off.
 */
export function requireCapability(
  test: { skip: (note?: string) => void },
  ctx: SuiteContext,
  capability: keyof Backend["capabilities"],
  wanted: boolean,
): void {
  if (ctx.backend.capabilities[capability] !== wanted) {
    const note = `skipped: the ${ctx.backend.name} backend declares capabilities.${capability} = ${!wanted}`;
    console.info(`[exprun] [conformance] ${note}`);
    test.skip(note);
  }
}
