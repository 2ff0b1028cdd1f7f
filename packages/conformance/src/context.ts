import {
  type Backend,
  type CheckedBackend,
  type CreateRunOptions,
  checkBackend,
  type ErrorCode,
  Experiment,
  ExperimentRun,
  type RunRecord,
  type RunRef,
} from "@exprun/core";
import { afterAll, beforeAll, expect, it, type TestContext } from "vitest";
import type { ConformanceOptions, MakeBackend } from "./options.js";
import { printProgress, progressWanted } from "./progress.js";
import { Watchdog } from "./watchdog.js";

export type { ConformanceOptions, MakeBackend } from "./options.js";

/** vitest's own timeout sits this far behind the watchdog's, so the watchdog (which names the test) fires first. */
const VITEST_GRACE_MS = 30_000;

let counter = 0;
const session = Math.random().toString(36).slice(2, 7);
let sharedWatchdog: Watchdog | undefined;

/** What every group of one `describeBackend` call shares: test names, expected failures, the watchdog. */
export class SuiteRun {
  readonly names = new Set<string>();
  readonly expected: ReadonlyMap<string, string>;
  readonly progress: boolean;
  readonly watchdog: Watchdog;
  readonly testTimeout: number;
  readonly heavyTimeout: number;
  readonly blockedLoopLimit: number;

  constructor(
    readonly label: string,
    readonly options: ConformanceOptions,
  ) {
    this.expected = new Map(Object.entries(options.expectedFailures ?? {}));
    for (const [name, issue] of this.expected) {
      if (typeof issue !== "string" || issue.trim() === "") {
        throw new Error(
          `[exprun] [conformance] expectedFailures["${name}"] must say which issue fixes it, e.g. "issue 10".`,
        );
      }
    }
    this.progress = progressWanted(options.progress);
    this.testTimeout = options.testTimeout ?? 60_000;
    this.heavyTimeout = options.heavyTimeout ?? 120_000;
    this.blockedLoopLimit = options.blockedLoopLimit ?? 60_000;
    // One watchdog thread per test process, whatever the number of suites in it.
    sharedWatchdog ??= new Watchdog();
    this.watchdog = sharedWatchdog;
  }

  /** Runs `body` under the watchdog (see {@link Watchdog.watch}) with this suite's limits. */
  watch<T>(label: string, timeout: number, body: () => Promise<T> | T): Promise<T> {
    return this.watchdog.watch(label, timeout, body, this.blockedLoopLimit);
  }

  /** Names of `expectedFailures` that are no test of the suite (a typo, or a test renamed). */
  unknownExpectedFailures(): string[] {
    return [...this.expected.keys()].filter((name) => !this.names.has(name));
  }
}

/** What each group of the suite works with. */
export class SuiteContext {
  #backend: CheckedBackend | undefined;
  #tensorboard: string | undefined;
  /** Backends opened by the running test (second instances, fresh stores), closed after it. */
  #opened: CheckedBackend[] = [];

  constructor(
    private readonly make: MakeBackend,
    private readonly options: ConformanceOptions,
    readonly suite: SuiteRun,
    readonly group: string,
  ) {}

  get heavyTimeout(): number {
    return this.suite.heavyTimeout;
  }

  get testTimeout(): number {
    return this.suite.testTimeout;
  }

  get backend(): CheckedBackend {
    if (!this.#backend)
      throw new Error("[exprun] [conformance] The backend is not ready: use it inside a test.");
    return this.#backend;
  }

  get hooks(): Pick<ConformanceOptions, "openSecond" | "childProcess" | "faults"> {
    return this.options;
  }

  /**
   * Declares a test: vitest's `it`, with a progress line as it starts, the watchdog's timeout, the
   * backends it opened closed after it, and `it.fails` where the caller marked it an expected failure.
   */
  it(name: string, body: (test: TestContext) => unknown, timeout = this.testTimeout): void {
    if (this.suite.names.has(name)) {
      throw new Error(`[exprun] [conformance] Two tests are named "${name}": test names must be unique.`);
    }
    this.suite.names.add(name);
    const issue = this.suite.expected.get(name);
    const label = `${this.suite.label} › ${this.group} › ${name}`;
    const run = async (test: TestContext) => {
      if (this.suite.progress) printProgress(`▶ ${label}`);
      try {
        await this.suite.watch(`"${label}"`, timeout, async () => {
          await body(test);
        });
      } finally {
        await this.#closeOpened(label);
      }
    };
    if (issue) it.fails(`${name} [expected to fail until ${issue}]`, run, timeout + VITEST_GRACE_MS);
    else it(name, run, timeout + VITEST_GRACE_MS);
  }

  /** Sets up a backend for the enclosing describe block and closes it after. */
  useBackend(): void {
    const hookTimeout = this.testTimeout + VITEST_GRACE_MS;
    beforeAll(async () => {
      const label = `${this.suite.label} › ${this.group}`;
      if (this.suite.progress) printProgress(`▶▶ ${label}`);
      this.#backend = await this.suite.watch(
        `opening the backend for "${label}"`,
        this.testTimeout,
        async () => checkBackend(await this.make()),
      );
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
    }, hookTimeout);
    afterAll(async () => {
      const backend = this.#backend;
      this.#backend = undefined;
      if (!backend) return;
      await this.suite.watch(
        `closing the backend of "${this.suite.label} › ${this.group}"`,
        this.testTimeout,
        () => backend.close(),
      );
    }, hookTimeout);
  }

  async #closeOpened(label: string): Promise<void> {
    const opened = this.#opened;
    this.#opened = [];
    if (opened.length === 0) return;
    await this.suite.watch(`closing the backends "${label}" opened`, this.testTimeout, async () => {
      // A close that fails (points of a deleted run, a fault left on) is the test's business, not this one's.
      await Promise.all(opened.map((b) => b.close().catch(() => b.close().catch(() => undefined))));
    });
  }

  /** Another, empty store from the suite's factory, closed after the test. */
  async fresh(): Promise<CheckedBackend> {
    const backend = checkBackend(await this.make());
    this.#opened.push(backend);
    return backend;
  }

  /**
   * A second backend object on the store of `of` (default: the group's backend), closed after the
   * test. Needs `options.openSecond`: call {@link requireHook} first.
   */
  async second(of: CheckedBackend = this.backend): Promise<CheckedBackend> {
    const open = this.options.openSecond;
    if (!open) throw new Error("[exprun] [conformance] openSecond is not given: call requireHook first.");
    const backend = checkBackend(await open(of));
    if (backend === of) {
      throw new Error(
        "[exprun] [conformance] openSecond returned the backend it was given: it must open a second object on the same store.",
      );
    }
    this.#opened.push(backend);
    return backend;
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

  /** The run of `ref` as a fresh `ExperimentRun` object on the group's backend. */
  async reopen(ref: RunRef): Promise<ExperimentRun> {
    return ExperimentRun.get(ref.run, { experiment: ref.experiment, backend: this.backend });
  }

  /**
   * Creates a run with the Backend methods themselves (an experiment too, unless given), with its
   * TensorBoard when the store needs one. Resolves the record and a ref carrying its incarnation.
   */
  async createRun(
    backend: Backend = this.backend,
    experiment?: string,
    name: string = this.unique("run"),
  ): Promise<{ record: RunRecord; ref: RunRef }> {
    const exp = experiment ?? this.unique("exp");
    if (!(await backend.getExperiment(exp))) await backend.createExperiment({ name: exp });
    const record = await backend.createRun(exp, { name, state: "RUNNING" });
    const ref = { experiment: exp, run: name, incarnation: record.incarnation };
    if (backend.capabilities.requiresTensorboard && this.#tensorboard) {
      record.tensorboardRun = await backend.assignRunTensorboard(ref, this.#tensorboard);
    }
    return { record, ref };
  }

  /** Deletes the run of `ref` (and its TensorBoard run) and creates it again: a new incarnation. */
  async recreateRun(backend: Backend, ref: RunRef): Promise<{ record: RunRecord; ref: RunRef }> {
    await backend.deleteRun(ref, { deleteBackingTensorboardRun: true });
    return this.createRun(backend, ref.experiment, ref.run);
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
  expect((error as { code?: string }).code, (error as Error).message).toBe(code);
  if (message !== undefined) expect((error as Error).message).toMatch(message);
}

/** Settles `promise`: the error it rejected with, or `undefined` when it resolved. */
export async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e ?? new Error("rejected with nothing"),
  );
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

function skipWith(test: { skip: (note?: string) => void }, note: string): void {
  console.info(`[exprun] [conformance] ${note}`);
  test.skip(note);
}

/**
 * Skips the running test unless the backend declares `capability` as `wanted`, printing why. With
 * {@link requireHook}, the only ways a conformance test is switched off.
 */
export function requireCapability(
  test: { skip: (note?: string) => void },
  ctx: SuiteContext,
  capability: keyof Backend["capabilities"],
  wanted: boolean,
): void {
  if (ctx.backend.capabilities[capability] !== wanted) {
    skipWith(
      test,
      `skipped: the ${ctx.backend.name} backend declares capabilities.${capability} = ${!wanted}`,
    );
  }
}

/** Skips the running test when the store's test gives no `options[hook]`, printing why. */
export function requireHook(
  test: { skip: (note?: string) => void },
  ctx: SuiteContext,
  hook: "openSecond" | "childProcess" | "faults",
): void {
  if (!ctx.hooks[hook]) {
    skipWith(
      test,
      `skipped: the ${ctx.backend.name} backend's test passes no options.${hook} to describeBackend ` +
        "(see @exprun/conformance's README for what it needs)",
    );
  }
}
