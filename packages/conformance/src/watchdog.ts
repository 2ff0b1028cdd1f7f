/**
 * The per-test timeout. vitest's own timeout is a timer on the test's thread, so a store that blocks
 * the event loop (a synchronous loop, a busy wait, `*Sync` I/O on a hung mount) silences it: nothing is
 * printed until the block ends, and a store that never gives the loop back hangs the run with no
 * output at all (one newcomer's store hung for 14 minutes). The watchdog is a worker thread with its
 * own event loop: it prints which test overran while the main thread is still blocked, fails the test
 * as soon as the main thread runs again, and ends the process if the loop stays blocked too long.
 */
import { writeSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** The watchdog thread (CommonJS, evaluated): timers per watched call, and a check of the main thread's heartbeat. */
const WATCHDOG_THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const { fd, fired, beat } = workerData;
const watched = new Map();
const print = (line) => { try { writeSync(fd, line + "\\n"); } catch {} };
parentPort.on("message", (m) => {
  if (m.type === "start") {
    const entry = { label: m.label };
    entry.timer = setTimeout(() => overran(m, entry), m.timeout);
    watched.set(m.id, entry);
  } else if (m.type === "end") {
    const entry = watched.get(m.id);
    if (!entry) return;
    clearTimeout(entry.timer);
    clearInterval(entry.check);
    watched.delete(m.id);
  }
});
function overran(m, entry) {
  Atomics.store(fired, 0, m.id);
  print("[exprun] [conformance] TIMEOUT: " + m.label + " has not finished after " + m.timeout +
    " ms. The store's call never settled, or it is blocking the event loop (this line comes from a watchdog thread).");
  parentPort.postMessage({ type: "timeout", id: m.id });
  let last = Atomics.load(beat, 0);
  let since = Date.now();
  entry.check = setInterval(() => {
    const now = Atomics.load(beat, 0);
    if (now !== last) { last = now; since = Date.now(); return; }
    if (Date.now() - since < m.blockedLimit) return;
    print("[exprun] [conformance] The event loop has been blocked for " + Math.round((Date.now() - since) / 1000) +
      " s in " + m.label + " after its timeout: ending this test process (pid " + process.pid + ") so the run does not hang.");
    process.kill(process.pid, "SIGKILL");
  }, Math.min(500, m.blockedLimit));
}
`;

export interface WatchdogOptions {
  /** File descriptor the watchdog prints to. @default 2 (stderr) */
  fd?: number;
}

/** Thrown into a watched call that overran its time. */
export class ConformanceTimeoutError extends Error {
  constructor(label: string, timeout: number) {
    super(
      `[exprun] [conformance] ${label} did not finish within ${timeout} ms: the store's call never settled, or it ` +
        "blocked the event loop. Raise options.testTimeout (or heavyTimeout) for a slow store.",
    );
    this.name = "ConformanceTimeoutError";
  }
}

const HEARTBEAT_MS = 100;

export class Watchdog {
  readonly #fd: number;
  readonly #fired = new Int32Array(new SharedArrayBuffer(4));
  readonly #beat = new Int32Array(new SharedArrayBuffer(4));
  readonly #timedOut = new Map<number, () => void>();
  #worker: Worker | undefined;
  #nextId = 0;

  constructor(options: WatchdogOptions = {}) {
    this.#fd = options.fd ?? 2;
  }

  /**
   * Runs `body`; rejects with {@link ConformanceTimeoutError} when it has not settled `timeout` ms
   * after it started, also when the event loop was blocked meanwhile (the line naming `label` is
   * printed at the deadline either way). If the event loop then stays blocked for `blockedLoopLimit`
   * ms, the watchdog ends the process.
   */
  async watch<T>(
    label: string,
    timeout: number,
    body: () => Promise<T> | T,
    blockedLoopLimit = 60_000,
  ): Promise<T> {
    const worker = this.#thread();
    const id = ++this.#nextId;
    let onTimeout!: () => void;
    const overran = new Promise<never>((_, reject) => {
      onTimeout = () => reject(new ConformanceTimeoutError(label, timeout));
    });
    this.#timedOut.set(id, onTimeout);
    worker.postMessage({ type: "start", id, label, timeout, blockedLimit: blockedLoopLimit });
    const heartbeat = setInterval(() => Atomics.add(this.#beat, 0, 1), HEARTBEAT_MS);
    heartbeat.unref();
    try {
      const result = await Promise.race([Promise.resolve().then(body), overran]);
      // The loop was blocked past the deadline and the body settled before the message came in.
      if (Atomics.load(this.#fired, 0) === id) throw new ConformanceTimeoutError(label, timeout);
      return result;
    } finally {
      clearInterval(heartbeat);
      this.#timedOut.delete(id);
      worker.postMessage({ type: "end", id });
    }
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WATCHDOG_THREAD, {
      eval: true,
      workerData: { fd: this.#fd, fired: this.#fired, beat: this.#beat },
    });
    worker.on("message", (m: { type: string; id: number }) => {
      if (m.type === "timeout") this.#timedOut.get(m.id)?.();
    });
    worker.on("error", (error) => {
      writeSync(this.#fd, `[exprun] [conformance] The watchdog thread failed: ${String(error)}\n`);
    });
    // The watchdog never keeps a finished test process alive.
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}
