import type { Backend, CheckedBackend, RunRef } from "@exprun/core";

/** Makes a fresh backend. Each group gets its own; the suite closes it afterwards. */
export type MakeBackend = () => Backend | Promise<Backend>;

/** Undoes a fault: the store works again once the promise it returns resolves. */
export type RestoreFault = () => void | Promise<void>;

/**
 * How a child process opens the same store as a backend of this process, for the groups that run
 * real processes (stores declaring `capabilities.multiProcess`).
 */
export interface ChildProcessHook {
  /**
   * An ES module (a path or a `file:` URL) that plain Node can import, exporting
   * `openBackend(config)`: the store opened from `config` (a `Backend`, or a promise of one). Import the
   * built package from it (`../dist/index.js`), as a user's worker would.
   */
  module: string | URL;
  /** What the child passes to `openBackend` to reach the store of `backend`: JSON (no functions). */
  config(backend: CheckedBackend): unknown | Promise<unknown>;
}

/** Fault injection the store's test provides, for the failed-flush group. */
export interface FaultHooks {
  /**
   * Makes the store's writes of `run`'s time series (at least) fail, as a full disk, a lost network or
   * a failing server would, until the returned function is called. While the fault lasts, every write
   * that would make those points durable MUST fail; reads need not work. Resolve once the fault is in
   * place.
   */
  failWrites(backend: CheckedBackend, run: RunRef): RestoreFault | Promise<RestoreFault>;
}

export interface ConformanceOptions {
  /**
   * A TensorBoard resource name to back runs' time series, or a function making one. Required when the
   * backend declares `capabilities.requiresTensorboard` (Vertex); ignored otherwise.
   */
  tensorboard?: string | (() => string | Promise<string>);
  /**
   * A second backend object on the same store as `backend`: what another process or machine would
   * open (file: the same root; S3: the same bucket and prefix; memory: a second handle on the same
   * in-process store). It must see `backend`'s acknowledged writes, and its deletes must be seen by
   * `backend`. The suite closes it. Without it, the tests that need two instances are skipped with a
   * printed reason.
   */
  openSecond?: (backend: CheckedBackend) => Backend | Promise<Backend>;
  /** Opens the store in real child processes (stores declaring `multiProcess`); see {@link ChildProcessHook}. */
  childProcess?: ChildProcessHook;
  /** Fault injection for the failed-flush group; see {@link FaultHooks}. */
  faults?: FaultHooks;
  /**
   * Tests this backend is known to fail until a fix lands: test name → the issue that fixes it, e.g.
   * `{ "a flush that fails keeps every point for the next flush": "issue 10" }`. Each runs as vitest's
   * `it.fails`, so it must fail; the marker goes when the fix lands (a marked test that passes, and a
   * name that is no test of the suite, fail the run).
   */
  expectedFailures?: Record<string, string>;
  /**
   * Time one test (or opening/closing a backend) may take, in ms. A watchdog thread enforces it, so a
   * store that blocks the event loop is named while it blocks.
   * @default 60000
   */
  testTimeout?: number;
  /**
   * Timeout for the heavy tests (1,000 runs, 100,000 points, child processes), in ms. Raise it for
   * slow remote stores.
   * @default 120000
   */
  heavyTimeout?: number;
  /**
   * After a test timed out, how long the event loop may stay blocked before the watchdog ends the test
   * process (so a run never hangs without output), in ms.
   * @default 60000
   */
  blockedLoopLimit?: number;
  /**
   * Print a line as each group and test starts (to stderr), so a hang shows where it is.
   * @default true when the run is not on a terminal (CI, pipes); `EXPRUN_CONFORMANCE_PROGRESS=1|0` overrides
   */
  progress?: boolean;
}
