import { S3Client } from "@aws-sdk/client-s3";
import {
  type Backend,
  type BackendCapabilities,
  BackendError,
  type RunRef,
  ValidationError,
} from "@exprun/core";
import { normalizePrefix } from "./keys.js";
import { resolveOptions, S3_BACKEND_NAME, type S3BackendOptions } from "./options.js";
import { resourceMethods } from "./resources.js";
import { experimentMethods, runMethods } from "./runs.js";
import type { ColumnChunk, StreamQuery } from "./series.js";
import { S3Store } from "./store.js";

const backend = S3_BACKEND_NAME;

/** What the S3 backend can do: everything, from any number of machines at once. */
export const S3_CAPABILITIES: BackendCapabilities = Object.freeze({
  nonFiniteValues: true,
  requiresTensorboard: false,
  bufferedTimeSeries: true,
  multiProcess: true,
});

/** A {@link Backend} on S3, plus `compact()` to fold every log this instance wrote to. */
export interface S3Backend extends Backend {
  readonly name: typeof S3_BACKEND_NAME;
  readonly bucket: string;
  readonly prefix: string;
  /** Streams a run's points as column chunks (typed arrays), with bounded memory. */
  readSeries(ref: RunRef, query?: StreamQuery): AsyncIterable<ColumnChunk>;
  /** Whether creations use conditional writes (as configured, or as the one-time probe found). */
  conditionalWrites(): Promise<boolean>;
  /** Folds the logs this backend wrote to into snapshots (what `close()` does when `compactOnClose`). */
  compact(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates a store in `bucket` under `prefix`. Many processes and machines may share one store;
 * see the README for the layout, the guarantees and the request costs.
 *
 * ```ts
 * const backend = createS3Backend({ bucket: "my-bucket", prefix: "exprun" });
 * ```
 */
export function createS3Backend(options: S3BackendOptions): S3Backend {
  if (typeof options?.bucket !== "string" || options.bucket.length === 0) {
    throw new ValidationError(
      'Missing required option "bucket". Pass createS3Backend({ bucket: "my-bucket" }).',
      {
        backend,
      },
    );
  }
  const prefix = normalizePrefix(options.prefix);
  const resolved = resolveOptions(options, prefix);
  const ownsClient = options.client === undefined;
  // One retry layer: the backend's own, bounded by maxAttempts and retryBudgetMs (the SDK's standard
  // mode multiplied with it into dozens of requests per failing call).
  const client = options.client ?? new S3Client({ maxAttempts: 1, ...options.clientConfig });
  const store = new S3Store(client, resolved);
  const methods = { ...experimentMethods(store), ...runMethods(store), ...resourceMethods(store) };

  let closed = false;
  const timer =
    resolved.flushIntervalMs > 0
      ? setInterval(() => {
          if (!store.series.hasBuffered()) return;
          store.series.flushAll().catch((error: unknown) => {
            resolved.onWarning(
              `[exprun] [s3] A timed flush of buffered time series failed; the points stay buffered for the next flush: ${error instanceof Error ? error.message : String(error)}`,
              error,
            );
          });
        }, resolved.flushIntervalMs)
      : undefined;
  timer?.unref();

  const refuse = () =>
    new BackendError("This S3 backend is closed. Create a new one with createS3Backend().", { backend });
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (closed) throw refuse();
      return fn(...args);
    };
  const { readSeries, ...asyncMethods } = methods;
  const guarded = Object.fromEntries(
    Object.entries(asyncMethods).map(([key, fn]) => [
      key,
      guard(fn as (...args: unknown[]) => Promise<unknown>),
    ]),
  ) as typeof asyncMethods;

  return {
    name: S3_BACKEND_NAME,
    capabilities: S3_CAPABILITIES,
    bucket: resolved.bucket,
    prefix,
    ...guarded,
    readSeries(ref, query) {
      if (closed) throw refuse();
      return readSeries(ref, query);
    },
    conditionalWrites: () => store.conditionalWrites(),
    flush: guard(() => store.series.flushAll()),
    compact: guard(async () => {
      await store.series.flushAll();
      await store.compactDirty();
      await store.resources.compact();
    }),
    // Resolves only once every buffered point is durable; if a flush fails, the points stay
    // buffered, the backend stays open, and a later flush() or close() retries them.
    async close() {
      if (closed) return;
      await store.series.flushAll();
      if (resolved.compactOnClose) await store.compactDirty();
      closed = true;
      if (timer) clearInterval(timer);
      if (ownsClient) client.destroy();
    },
  };
}
