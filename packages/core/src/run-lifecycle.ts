/**
 * Runs started by this process and still RUNNING, and what happens to them when the process is
 * interrupted: on SIGINT/SIGTERM their buffers are flushed and they end CANCELLED (MLflow marks them
 * KILLED), then the signal takes its default effect (the process exits with the signal's status);
 * on an uncaught exception they end FAILED and the exception then takes its default effect (printed,
 * exit code 1). Nothing is installed while no run is active; `init({ handleSignals: false })` turns
 * it off. A user's own handlers keep working: when the process has other listeners for the signal
 * (or for `uncaughtException`), the runs are still ended, but what happens next is theirs to decide.
 *
 * The registry is one per process, shared by every copy of `@exprun/core` loaded in it, so two copies
 * (a bundled CLI and a backend's own) never wait on each other's handlers.
 */
import type { RunState } from "./types.js";

/** What the registry needs of a run. */
export interface EndableRun {
  endRun(options: { state: RunState }): Promise<void>;
}

/** How long ending the active runs may take before the signal or exception takes its course anyway. */
const END_TIMEOUT_MS = 10_000;
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const MARK = Symbol.for("exprun.lifecycleHandler");

type Handler = ((...args: unknown[]) => void) & { [MARK]?: true };

class ActiveRuns {
  readonly #runs = new Set<EndableRun>();
  #enabled = true;
  #installed = false;
  #ending = false;
  readonly #onSignal: Record<string, Handler> = {};
  readonly #onException: Handler;

  constructor() {
    for (const signal of SIGNALS) {
      this.#onSignal[signal] = mark(() => this.#signal(signal));
    }
    this.#onException = mark((error: unknown) => this.#exception(error));
  }

  add(run: EndableRun): void {
    this.#runs.add(run);
    this.#sync();
  }

  delete(run: EndableRun): void {
    this.#runs.delete(run);
    this.#sync();
  }

  has(run: EndableRun): boolean {
    return this.#runs.has(run);
  }

  get size(): number {
    return this.#runs.size;
  }

  /** `init({ handleSignals })`. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    this.#sync();
  }

  /** Whether handlers are installed now (for tests and diagnostics). */
  get installed(): boolean {
    return this.#installed;
  }

  #sync(): void {
    const wanted = this.#enabled && this.#runs.size > 0 && !this.#ending;
    if (wanted && !this.#installed) {
      for (const signal of SIGNALS) process.on(signal, this.#onSignal[signal]!);
      process.on("uncaughtException", this.#onException);
      this.#installed = true;
    } else if (!wanted && this.#installed) {
      this.#uninstall();
    }
  }

  #uninstall(): void {
    for (const signal of SIGNALS) process.removeListener(signal, this.#onSignal[signal]!);
    process.removeListener("uncaughtException", this.#onException);
    this.#installed = false;
  }

  #signal(signal: (typeof SIGNALS)[number]): void {
    if (this.#ending) {
      // A second Ctrl-C while runs are being ended: stop waiting.
      this.#uninstall();
      reRaise(signal);
      return;
    }
    const others = othersListening(signal);
    void this.#endAll("CANCELLED").then(() => {
      this.#uninstall();
      if (!others) reRaise(signal);
    });
  }

  #exception(error: unknown): void {
    if (this.#ending) return; // already on the way out; the first exception is the one reported
    if (othersListening("uncaughtException")) {
      // The program handles its own exceptions and goes on: its runs are its business.
      return;
    }
    void this.#endAll("FAILED").then(() => {
      this.#uninstall();
      // With no listener left, Node reports the exception and exits with code 1, as it would have.
      process.nextTick(() => {
        throw error;
      });
    });
  }

  /** Ends every active run with `state`, each flushed first; bounded by {@link END_TIMEOUT_MS}. */
  async #endAll(state: RunState): Promise<void> {
    this.#ending = true;
    const runs = [...this.#runs];
    this.#runs.clear();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, END_TIMEOUT_MS);
    });
    const ended = Promise.allSettled(runs.map((run) => run.endRun({ state })));
    await Promise.race([ended, timeout]);
    clearTimeout(timer);
    this.#ending = false;
  }
}

function mark<T extends (...args: never[]) => void>(fn: T): Handler {
  const handler = fn as unknown as Handler;
  handler[MARK] = true;
  return handler;
}

/** Listeners for `event` other than exprun's own (from any copy of core). */
function othersListening(event: string): boolean {
  return process.listeners(event as "SIGINT").some((listener) => !(listener as Handler)[MARK]);
}

function reRaise(signal: NodeJS.Signals): void {
  if (othersListening(signal)) return;
  process.kill(process.pid, signal);
}

const REGISTRY = Symbol.for("exprun.activeRuns");

/** The process's registry of active runs (one for every copy of core). */
const shared = globalThis as Record<symbol, unknown>;
shared[REGISTRY] ??= new ActiveRuns();
export const activeRuns = shared[REGISTRY] as ActiveRuns;
