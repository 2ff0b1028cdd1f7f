import { S3Client } from "@aws-sdk/client-s3";
import {
  type Backend,
  type BackendCapabilities,
  type Checked,
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
  keepsTimes: true,
  tagsAsLabels: false,
});

/** The store behind core's gateway: the contract plus the S3 backend's own members. */
interface RawS3Backend extends Backend {
  readonly bucket: string;
  readonly prefix: string;
  /** Folds the logs this backend wrote to into snapshots (what `close()` does when `compactOnClose`). */
  compact(): Promise<void>;
  /** Whether creations use conditional writes (as configured, or as the one-time probe found). */
  conditionalWrites(): Promise<boolean>;
}

/** A checked {@link Backend} on S3 (see `createS3Backend`), with `bucket`, `prefix`, `compact()` and `conditionalWrites()`. */
export type S3Backend = Checked<RawS3Backend>;

/**
 * Creates a store in `bucket` under `prefix`, behind core's checked gateway. Many processes and
 * machines may share one store; see the README for the layout, the guarantees and the request costs.
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

  const s3: RawS3Backend = {
    name: S3_BACKEND_NAME,
    capabilities: S3_CAPABILITIES,
    bucket: resolved.bucket,
    prefix,
    ...experimentMethods(store),
    ...runMethods(store),
    ...resourceMethods(store),
    conditionalWrites: () => store.conditionalWrites(),
    flush: () => store.series.flushAll(),
    async compact() {
      await store.series.flushAll();
      await store.compactDirty();
      await store.resources.compact();
    },
    // Resolves only once every buffered point is durable. If a flush fails, the points stay
    // buffered and the gateway keeps the backend open, so a later flush() or close() retries them.
    async close() {
      await store.series.flushAll();
      if (resolved.compactOnClose) await store.compactDirty();
      if (timer) clearInterval(timer);
      if (ownsClient) client.destroy();
    },
  };
  return checkBackend(s3);
}
