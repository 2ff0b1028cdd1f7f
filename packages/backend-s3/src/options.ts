import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";

/** The backend's name in messages, `Backend.name` and `s3://` URIs. */
export const S3_BACKEND_NAME = "s3";

/** Options of {@link createS3Backend}. Only `bucket` is required. */
export interface S3BackendOptions {
  /** The bucket that holds the store. It must exist; the backend never creates or deletes buckets. */
  bucket: string;
  /**
   * Key prefix of the store inside the bucket, e.g. `"team-a/exprun"`. Two prefixes are two independent
   * stores. Leading and trailing slashes are ignored.
   * @default "" (the bucket root)
   */
  prefix?: string | undefined;
  /**
   * A ready client (credentials, region, endpoint, retries are then yours). The backend does not
   * destroy a client it was given. Handy in tests and to share one connection pool.
   * @default undefined: a client is built from `clientConfig` and the AWS default credential chain
   */
  client?: S3Client | undefined;
  /**
   * Settings for the client the backend builds when `client` is absent: `region`, `credentials`,
   * `endpoint` with `forcePathStyle: true` for S3-compatible services (MinIO, s3rver, R2, …).
   * The backend adds `retryMode: "standard"` and `maxAttempts: 5` unless given.
   * @default {} (region and credentials from the environment: the AWS default chain)
   */
  clientConfig?: S3ClientConfig | undefined;
  /**
   * Time-series points kept in memory per run before they are written as one chunk object.
   * Larger means fewer PUTs (one per chunk) and more points lost if the process dies unflushed.
   * @default 5000
   */
  seriesChunkPoints?: number | undefined;
  /**
   * Buffered time series are also written this often (ms), so a long training job stays durable
   * without calling `flush()`. Each tick costs two PUTs per run with new points; 0 turns it off.
   * @default 5000
   */
  flushIntervalMs?: number | undefined;
  /**
   * A read that finds at least this many objects in an experiment's log folds them into one
   * snapshot (one PUT and one batch DELETE); a read of a single run waits for 16 times as many,
   * since it would first have to GET every other run's deltas. Each backend instance adds a fixed random offset below
   * half of this, so that writers sharing a log rarely compact at once. Lower keeps reads cheaper
   * (one GET per unfolded delta) at the price of more frequent snapshot rewrites.
   * @default 32
   */
  compactThreshold?: number | undefined;
  /**
   * A run's time series is rewritten as one chunk once it has this many chunk objects (reads cost one
   * GET per chunk).
   * @default 16
   */
  seriesCompactThreshold?: number | undefined;
  /**
   * How long a creator waits between writing its creation claim and reading the claims back
   * (`createExperiment`, `createRun`, `createArtifact`/`createExecution` with an explicit id).
   * Exactly one racing creator wins when every creator's claim PUT completes within this window
   * after its existence check; see the README. Every such create call takes at least this long.
   * @default 500
   */
  claimSettleMs?: number | undefined;
  /**
   * `close()` folds every experiment this backend wrote to into a snapshot, so that later readers
   * need two requests (LIST, GET) per experiment. Costs one compaction per such experiment.
   * @default true
   */
  compactOnClose?: boolean | undefined;
  /**
   * Retries of one S3 request after the client's own retries gave up on a retryable error (500,
   * 502, 503, 504, SlowDown, throttling, connection resets), with exponential backoff and jitter.
   * @default 4
   */
  maxRetries?: number | undefined;
  /**
   * First backoff delay of those retries (ms); doubles each time, capped at 20 times this.
   * @default 100
   */
  retryBaseDelayMs?: number | undefined;
  /**
   * Longest time one S3 request (one attempt) may take before it is aborted and retried, so that no
   * call hangs on a stalled connection.
   * @default 30000
   */
  requestTimeoutMs?: number | undefined;
  /**
   * How many S3 requests one backend call keeps in flight at once (reads of many objects).
   * @default 16
   */
  concurrency?: number | undefined;
  /**
   * Called when an object in the store cannot be parsed (corrupt or foreign). The object is skipped,
   * the rest of the store stays readable.
   * @default a one-line `console.warn` naming the key
   */
  onCorruptObject?: ((key: string, error: unknown) => void) | undefined;
}

export interface ResolvedOptions {
  bucket: string;
  prefix: string;
  seriesChunkPoints: number;
  flushIntervalMs: number;
  compactThreshold: number;
  seriesCompactThreshold: number;
  claimSettleMs: number;
  compactOnClose: boolean;
  maxRetries: number;
  retryBaseDelayMs: number;
  requestTimeoutMs: number;
  concurrency: number;
  onCorruptObject: (key: string, error: unknown) => void;
}

function positive(value: number | undefined, fallback: number, min = 1): number {
  return value === undefined || !Number.isFinite(value) ? fallback : Math.max(min, Math.floor(value));
}

export function resolveOptions(options: S3BackendOptions, prefix: string): ResolvedOptions {
  return {
    bucket: options.bucket,
    prefix,
    seriesChunkPoints: positive(options.seriesChunkPoints, 5000),
    flushIntervalMs: positive(options.flushIntervalMs, 5000, 0),
    compactThreshold: positive(options.compactThreshold, 32, 2),
    seriesCompactThreshold: positive(options.seriesCompactThreshold, 16, 2),
    claimSettleMs: positive(options.claimSettleMs, 500, 0),
    compactOnClose: options.compactOnClose ?? true,
    maxRetries: positive(options.maxRetries, 4, 0),
    retryBaseDelayMs: positive(options.retryBaseDelayMs, 100, 0),
    requestTimeoutMs: positive(options.requestTimeoutMs, 30000, 100),
    concurrency: positive(options.concurrency, 16),
    onCorruptObject:
      options.onCorruptObject ??
      ((key, error) => {
        console.warn(
          `[exprun] [s3] Skipping unreadable object s3://${options.bucket}/${key}: ${String(error)}`,
        );
      }),
  };
}
