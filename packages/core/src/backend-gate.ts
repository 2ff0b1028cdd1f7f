import { BackendClosedError, BackendError, isExprunError } from "./errors.js";

/**
 * The closed state and in-flight calls of one checked backend. `close()` waits for calls already
 * made, so a write started before `close()` is flushed by it; calls made after `close()` was called
 * are refused (a failed `close()` opens the backend again, so the caller can retry).
 */
export class Gate {
  closed = false;
  #closing: Promise<void> | undefined;
  #inflight = 0;
  #idle: (() => void) | undefined;

  constructor(readonly backend: string) {}

  call<T>(method: string, invoke: () => Promise<T>): Promise<T> {
    if (this.closed || this.#closing) return Promise.reject(new BackendClosedError(this.backend));
    let result: Promise<T>;
    try {
      result = invoke();
      // A store written in plain JavaScript may answer synchronously.
      if (typeof (result as { then?: unknown } | undefined)?.then !== "function")
        result = Promise.resolve(result);
    } catch (error) {
      return Promise.reject(this.#storeError(method, error));
    }
    this.#inflight++;
    return result.then(
      (value) => {
        this.#settle();
        return value;
      },
      (error: unknown) => {
        this.#settle();
        throw this.#storeError(method, error);
      },
    );
  }

  get refuses(): boolean {
    return this.closed || this.#closing !== undefined;
  }

  closedError(): Promise<never> {
    return Promise.reject(new BackendClosedError(this.backend));
  }

  /**
   * Remembers the latest hot-path call for `close()` to wait for, at the cost of one field write: the
   * store's promise goes back to the caller as it is (no promise in between, no allocation). Appends
   * to one store settle in the order they were made, so the latest is the one to wait for.
   */
  track<T>(result: Promise<T>): Promise<T> {
    this.#lastFast = result;
    return result;
  }

  #lastFast: Promise<unknown> | undefined;

  close(release: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.#closing ??= (async () => {
      try {
        if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
        await this.#lastFast?.catch(() => undefined);
        await release();
        this.closed = true;
      } catch (error) {
        throw this.#storeError("close", error);
      } finally {
        this.#closing = undefined;
      }
    })();
    return this.#closing;
  }

  #settle(): void {
    this.#inflight--;
    if (this.#inflight === 0 && this.#idle) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  }

  #storeError(method: string, error: unknown): unknown {
    if (isExprunError(error)) return error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new BackendError(`${method}() failed: ${message}`, { backend: this.backend, cause: error });
  }
}
