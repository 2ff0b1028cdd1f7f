import type { Backend } from "@exprun/core";
import { scanRuns } from "./runs-table.js";

/** What an open page is told when runs of its experiment change. */
export interface RunsChanged {
  /**
   * `baseline` once polling starts (what a page loaded may already be older: it reloads what it
   * shows), then `change` for each poll that saw a difference.
   */
  kind: "baseline" | "change";
  /** Runs created or changed since the last event: state, params, metrics, times or a series' latest point. */
  changed: string[];
  /** True when more runs changed than `changed` lists (a page then reloads what it shows). */
  truncated: boolean;
  removed: string[];
  total: number;
}

export const MAX_CHANGED_NAMES = 500;

/**
 * Polls the store for changes of one experiment's runs while at least one page listens, one poller
 * per experiment however many pages are open. Every `intervalMs` (or 5× the last scan's duration,
 * whichever is longer, so a slow store is not hammered) it lists the runs with their latest
 * time-series points and compares each run's digest with the previous scan's.
 */
export class ExperimentWatcher {
  readonly #backend: Backend;
  readonly #experiment: string;
  readonly #intervalMs: number;
  readonly #listeners = new Set<(event: RunsChanged) => void>();
  readonly #onError: (error: unknown) => void;
  #digests: Map<string, string> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #closed = false;

  constructor(backend: Backend, experiment: string, intervalMs: number, onError: (error: unknown) => void) {
    this.#backend = backend;
    this.#experiment = experiment;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /** Adds a listener; the returned function removes it. The first listener starts polling. */
  subscribe(listener: (event: RunsChanged) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#timer && !this.#polling && !this.#closed) this.#schedule(0);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#idle();
    };
  }

  /** Stops polling for good. */
  close(): void {
    this.#closed = true;
    this.#idle();
  }

  #idle(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#digests = undefined;
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#poll();
    }, delay);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    this.#polling = true;
    const started = performance.now();
    try {
      const next = new Map<string, string>();
      for await (const run of scanRuns(this.#backend, this.#experiment, true)) {
        let latest = "";
        for (const metric in run.latestTimeSeries) {
          const p = run.latestTimeSeries[metric]!;
          latest += `${metric}\u0000${p.step}\u0000${p.wallTime}\u0000${p.value};`;
        }
        next.set(run.name, `${run.state}|${run.updateTime}|${run.createTime}|${latest}`);
      }
      const previous = this.#digests;
      this.#digests = next;
      if (!previous) {
        const event: RunsChanged = {
          kind: "baseline",
          changed: [],
          truncated: false,
          removed: [],
          total: next.size,
        };
        for (const listener of this.#listeners) listener(event);
      } else if (this.#listeners.size > 0) {
        const changed: string[] = [];
        let changes = 0;
        for (const [name, digest] of next) {
          if (previous.get(name) !== digest) {
            changes++;
            if (changed.length < MAX_CHANGED_NAMES) changed.push(name);
          }
        }
        const removed = [...previous.keys()].filter((name) => !next.has(name)).slice(0, MAX_CHANGED_NAMES);
        if (changes > 0 || removed.length > 0) {
          const event: RunsChanged = {
            kind: "change",
            changed,
            truncated: changes > changed.length,
            removed,
            total: next.size,
          };
          for (const listener of this.#listeners) listener(event);
        }
      }
    } catch (error) {
      this.#onError(error);
    }
    this.#polling = false;
    if (this.#listeners.size > 0 && !this.#closed) {
      this.#schedule(Math.max(this.#intervalMs, 5 * (performance.now() - started)));
    } else {
      this.#digests = undefined;
    }
  }
}

/** One watcher per experiment, created on the first listener. */
export class LiveHub {
  readonly #watchers = new Map<string, ExperimentWatcher>();
  readonly #backend: Backend;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;

  constructor(backend: Backend, intervalMs: number, onError: (error: unknown) => void) {
    this.#backend = backend;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  subscribe(experiment: string, listener: (event: RunsChanged) => void): () => void {
    let watcher = this.#watchers.get(experiment);
    if (!watcher) {
      watcher = new ExperimentWatcher(this.#backend, experiment, this.#intervalMs, this.#onError);
      this.#watchers.set(experiment, watcher);
    }
    const unsubscribe = watcher.subscribe(listener);
    return () => {
      unsubscribe();
      if (watcher.listeners === 0) this.#watchers.delete(experiment);
    };
  }

  close(): void {
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }
}
