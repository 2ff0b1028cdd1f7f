import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { ValidationError } from "@exprun/core";

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
   * A ready client (credentials, region, endpoint are then yours). The backend does not destroy a
   * client it was given. When the client retries by itself (`maxAttempts` above 1, the SDK's
   * default is 3), the backend does not retry on top of it, so there is one retry layer either way.
   * @default undefined: a client is built from `clientConfig` and the AWS default credential chain
   */
  client?: S3Client | undefined;
  /**
   * Settings for the client the backend builds when `client` is absent: `region`, `credentials`,
   * `endpoint` with `forcePathStyle: true` for S3-compatible services (MinIO, s3rver, R2, …).
   * The backend sets `maxAttempts: 1` (its own retries replace the SDK's) unless given.
   * @default {} (region and credentials from the environment: the AWS default chain)
   */
  clientConfig?: S3ClientConfig | undefined;
  /**
   * How creations (`createExperiment`, `createRun`, `createArtifact`/`createExecution` with an id)
   * make sure exactly one of racing creators wins:
   * - `true`: a conditional PUT (`If-None-Match: *`) of a creation key, one round trip, no waiting.
   *   Needs a server that honours it (AWS S3, MinIO, Cloudflare R2, moto).
   * - `false`: the claim protocol (write a claim, wait `claimSettleMs`, read the claims back), which
   *   works on any S3 but waits and rests on a timing bound (see the README).
   * - `"auto"`: the first creation of a backend probes the bucket once: two conditional PUTs of
   *   `<prefix>exprun-probe.json`. A server that answers 412 to a conditional PUT on a key that
   *   exists honours the header; a server that ignores it answers 200 and gets the claim protocol.
   * Every client of one store must end up with the same choice (auto on one server always does).
   * @default "auto"
   */
  conditionalWrites?: "auto" | boolean | undefined;
  /**
   * Time-series points kept in memory per run before they are written as one chunk object.
   * Larger means fewer PUTs (one per chunk) and more points lost if the process dies unflushed.
   * @default 5000
   */
  seriesChunkPoints?: number | undefined;
  /**
   * Buffered time series are also written this often (ms), so a long training job stays durable
   * without calling `flush()`. Each tick costs three requests per run with new points; 0 turns it off.
   * @default 5000
   */
  flushIntervalMs?: number | undefined;
  /**
   * A read that finds at least this many objects in an experiment's log folds them into one
   * snapshot (one PUT and one batch DELETE); a read of a single run waits for 16 times as many,
   * since it would first have to GET every other run's deltas. Each backend instance adds a fixed
   * random offset below half of this, so that writers sharing a log rarely compact at once. Lower
   * keeps reads cheaper (one GET per unfolded delta) at the price of more frequent snapshot rewrites.
   * @default 32
   */
  compactThreshold?: number | undefined;
  /**
   * A read of a run's time series that meets at least this many small chunks (under half of
   * `seriesChunkPoints` each, as timer flushes write) rewrites neighbouring small chunks as one.
   * @default 16
   */
  seriesCompactThreshold?: number | undefined;
  /**
   * Claim protocol only (`conditionalWrites` false or probed false): how long a creator waits between
   * writing its claim and reading the claims back. Exactly one racing creator wins when every
   * creator's claim PUT completes within this window after its existence check; every such create
   * call takes at least this long.
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
   * Most attempts of one S3 request, the first included, on retryable failures (500, 502, 503,
   * 504, 429, SlowDown, throttling, request timeouts, dropped connections). Other failures (403,
   * 404, other 4xx, unknown hosts) are not retried. A client passed as `client` that retries by
   * itself gets 1.
   * @default 8
   */
  maxAttempts?: number | undefined;
  /** @deprecated Use `maxAttempts` (`maxRetries + 1`). */
  maxRetries?: number | undefined;
  /**
   * No retry of a request starts once this much time (ms) has passed since its first attempt, or
   * when its backoff would end later. A request against an endpoint that always fails returns its
   * error within this bound (plus one `requestTimeoutMs` if the last attempt hangs).
   * @default 15000
   */
  retryBudgetMs?: number | undefined;
  /**
   * First backoff delay between attempts (ms); doubles each time, capped at 20 times this, with
   * jitter (a random half to whole of it).
   * @default 100
   */
  retryBaseDelayMs?: number | undefined;
  /**
   * Longest time one attempt may take before it is aborted (and retried if the budget allows), so
   * that no call hangs on a stalled connection.
   * @default 10000
   */
  requestTimeoutMs?: number | undefined;
  /**
   * How many S3 requests one backend call keeps in flight at once (reads of many objects, chunk
   * prefetch of a series read).
   * @default 16
   */
  concurrency?: number | undefined;
  /**
   * Called once for each object in the store that cannot be read as what its key says it is (not
   * JSON, a foreign JSON document, a truncated chunk). Reporting is all it does: a read that needs
   * the object then fails with a `BackendError` naming `s3://bucket/key`, except where a snapshot
   * proves it holds nothing else (then the read goes on and compaction removes the object).
   * @default a one-line `console.warn` naming the object
   */
  onCorruptObject?: ((key: string, error: unknown) => void) | undefined;
  /**
   * Called for problems that do not fail the call: a compaction or clean-up that could not delete
   * objects (they stay invisible and are retried later), buffered points dropped because their run
   * was deleted by someone else.
   * @default `console.warn` with the message
   */
  onWarning?: ((message: string, cause?: unknown) => void) | undefined;
  /**
   * The wall clock (ms since the epoch) this backend reads for versions and create/update times.
   * Order between writers never depends on it (see the README); tests pass a skewed one.
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

export interface ResolvedOptions {
  bucket: string;
  prefix: string;
  conditionalWrites: "auto" | boolean;
  seriesChunkPoints: number;
  flushIntervalMs: number;
  compactThreshold: number;
  seriesCompactThreshold: number;
  claimSettleMs: number;
  compactOnClose: boolean;
  maxAttempts: number;
  retryBudgetMs: number;
  retryBaseDelayMs: number;
  requestTimeoutMs: number;
  concurrency: number;
  onCorruptObject: (key: string, error: unknown) => void;
  onWarning: (message: string, cause?: unknown) => void;
  now: () => number;
}

function whole(value: number | undefined, fallback: number, min = 1): number {
  return value === undefined || !Number.isFinite(value) ? fallback : Math.max(min, Math.floor(value));
}

function conditional(value: S3BackendOptions["conditionalWrites"]): "auto" | boolean {
  if (value === undefined || value === "auto" || value === true || value === false) return value ?? "auto";
  throw new ValidationError(
    `The option "conditionalWrites" must be "auto", true or false; got ${JSON.stringify(value)}.`,
    { backend: S3_BACKEND_NAME },
  );
}

export function resolveOptions(options: S3BackendOptions, prefix: string): ResolvedOptions {
  const maxAttempts =
    options.maxAttempts ?? (options.maxRetries === undefined ? undefined : options.maxRetries + 1);
  return {
    bucket: options.bucket,
    prefix,
    conditionalWrites: conditional(options.conditionalWrites),
    seriesChunkPoints: whole(options.seriesChunkPoints, 5000),
    flushIntervalMs: whole(options.flushIntervalMs, 5000, 0),
    compactThreshold: whole(options.compactThreshold, 32, 2),
    seriesCompactThreshold: whole(options.seriesCompactThreshold, 16, 2),
    claimSettleMs: whole(options.claimSettleMs, 500, 0),
    compactOnClose: options.compactOnClose ?? true,
    maxAttempts: whole(maxAttempts, 8),
    retryBudgetMs: whole(options.retryBudgetMs, 15_000, 0),
    retryBaseDelayMs: whole(options.retryBaseDelayMs, 100, 0),
    requestTimeoutMs: whole(options.requestTimeoutMs, 10_000, 100),
    concurrency: whole(options.concurrency, 16),
    onCorruptObject:
      options.onCorruptObject ??
      ((key, error) => {
        console.warn(
          `[exprun] [s3] Unreadable object s3://${options.bucket}/${key}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }),
    onWarning: options.onWarning ?? ((message) => console.warn(message)),
    now: options.now ?? (() => Date.now()),
  };
}
