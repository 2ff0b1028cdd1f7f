import { S3Client } from "@aws-sdk/client-s3";
import {
  type Backend,
  type BackendCapabilities,
  BackendError,
  type CheckedBackend,
  checkBackend,
  ValidationError,
} from "@exprun/core";
import { normalizePrefix } from "./keys.js";
import { resolveOptions, S3_BACKEND_NAME, type S3BackendOptions } from "./options.js";
import { resourceMethods } from "./resources.js";
import { experimentMethods, runMethods } from "./runs.js";
import { S3Store } from "./store.js";

const backend = S3_BACKEND_NAME;

/** What the S3 backend can do: everything, from any number of machines at once. */
export const S3_CAPABILITIES: BackendCapabilities = Object.freeze({
  nonFiniteValues: true,
  requiresTensorboard: false,
  bufferedTimeSeries: true,
  multiProcess: true,
  // adapter: replaced by issue 10/11/13 — given create/update times are not stored yet.
  keepsTimes: false,
  tagsAsLabels: false,
});

/** A checked {@link Backend} on S3, plus `compact()` to fold every log this instance wrote to. */
export interface S3Backend extends CheckedBackend {
  readonly bucket: string;
  readonly prefix: string;
  /** Folds the logs this backend wrote to into snapshots (what `close()` does when `compactOnClose`). */
  compact(): Promise<void>;
}

function buildClient(options: S3BackendOptions): S3Client {
  return new S3Client({ retryMode: "standard", maxAttempts: 5, ...options.clientConfig });
}

/**
 * Creates a store in `bucket` under `prefix`. Many processes and machines may share one store;
 * see the README for the layout, the concurrency guarantees and the request costs.
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
  const client = options.client ?? buildClient(options);
  const store = new S3Store(client, resolved);
  const { readSeries, ...methods } = {
    ...experimentMethods(store),
    ...runMethods(store),
    ...resourceMethods(store),
  };

  let closed = false;
  const timer =
    resolved.flushIntervalMs > 0
      ? setInterval(() => {
          if (store.series.hasBuffered()) store.series.flushAll().catch(() => undefined);
        }, resolved.flushIntervalMs)
      : undefined;
  timer?.unref();

  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (closed) {
        throw new BackendError("This S3 backend is closed. Create a new one with createS3Backend().", {
          backend,
        });
      }
      return fn(...args);
    };
  const guarded = Object.fromEntries(
    Object.entries(methods).map(([key, fn]) => [key, guard(fn as (...args: unknown[]) => Promise<unknown>)]),
  ) as typeof methods;

  const s3: Backend & { bucket: string; prefix: string; compact(): Promise<void> } = {
    name: S3_BACKEND_NAME,
    capabilities: S3_CAPABILITIES,
    bucket: resolved.bucket,
    prefix,
    ...guarded,
    // A stream, not a promise: checked for `closed` when iteration starts.
    async *readSeries(ref, query) {
      await guard(async () => undefined)();
      yield* readSeries(ref, query);
    },
    flush: guard(() => store.series.flushAll()),
    compact: guard(async () => {
      await store.series.flushAll();
      await store.compactDirty();
      await store.resources.compact();
    }),
    async close() {
      if (closed) return;
      try {
        await store.series.flushAll();
        if (resolved.compactOnClose) await store.compactDirty();
      } finally {
        closed = true;
        if (timer) clearInterval(timer);
        if (ownsClient) client.destroy();
      }
    },
  };
  return checkBackend(s3);
}
