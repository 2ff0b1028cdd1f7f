import { BackendError, isExprunError, redactSecrets } from "@exprun/core";
import { VERTEX_BACKEND_NAME, type VertexRetryOptions } from "./options.js";

/** gRPC status codes this backend branches on. */
export const Status = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
} as const;

const STATUS_NAMES: Record<number, string> = {
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
};

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export function hasStatus(error: unknown, code: number): boolean {
  return grpcCode(error) === code;
}

export function errorText(error: unknown): string {
  const details = (error as { details?: unknown } | null)?.details;
  if (typeof details === "string" && details) return details;
  return error instanceof Error ? error.message : String(error);
}

/** grpc-js's answer to a message over a size limit, on either side: "… larger than max (N vs. M)". */
const OVERSIZE = /larger than max \((\d+) vs\.? (\d+)\)/;

/**
 * The sizes of a request (or response) refused for its size. grpc-js reports it as
 * RESOURCE_EXHAUSTED, the code quotas use too, but nothing about it is transient.
 */
export function oversize(error: unknown): { size: number; limit: number } | undefined {
  if (grpcCode(error) !== Status.RESOURCE_EXHAUSTED) return undefined;
  const match = OVERSIZE.exec(errorText(error));
  return match ? { size: Number(match[1]), limit: Number(match[2]) } : undefined;
}

/** Codes a later attempt may turn into a success (quota, overload, lost race, timeout). */
const RETRYABLE: ReadonlySet<number> = new Set<number>([
  Status.DEADLINE_EXCEEDED,
  Status.RESOURCE_EXHAUSTED,
  Status.ABORTED,
  Status.UNAVAILABLE,
]);

/** Whether the failure can go away by itself: only then may a message suggest retrying. */
export function isRetryable(error: unknown): boolean {
  const code = grpcCode(error);
  return code !== undefined && RETRYABLE.has(code) && !oversize(error);
}

const bytes = (n: number) => `${n.toLocaleString("en")} bytes`;

/** What the user can do about a failure with this status. */
function hint(error: unknown): string {
  const code = grpcCode(error);
  const tooLarge = oversize(error);
  if (tooLarge) {
    return (
      ` The request is ${bytes(tooLarge.size)}, over the ${bytes(tooLarge.limit)} message limit; this is not transient. ` +
      "Send less per call (a Vertex context keeps at most 200 KB of metadata)."
    );
  }
  if (code === undefined) return "";
  if (code === 16 || code === 7) {
    return " Check the credentials (application default credentials, keyFilename or authClient) and their IAM roles.";
  }
  if (code === 12) return " The server does not implement this method.";
  if (isRetryable(error)) return " Retry later; transient errors were already retried with backoff.";
  if (code === 2 || code === 13 || code === 15) {
    return " The service failed; if it keeps failing, check the Vertex AI status page.";
  }
  return " This is not transient, retrying will not help: change the request as the message says.";
}

/** Longest service text a message quotes; longer texts (one echoing a 10,000-character id) are cut. */
const MAX_QUOTED = 600;

function quoted(text: string): string {
  const clean = redactSecrets(text).trim().replace(/\.+$/, "");
  if (clean.length <= MAX_QUOTED) return clean;
  return `${clean.slice(0, MAX_QUOTED - 100)}… (${clean.length.toLocaleString("en")} characters, cut) …${clean.slice(-80)}`;
}

/** Wraps any failure that is not already an exprun error; the message is redacted of credentials. */
export function toBackendError(what: string, error: unknown): Error {
  if (isExprunError(error)) return error;
  const code = grpcCode(error);
  const status = code === undefined ? "" : `${STATUS_NAMES[code] ?? code}: `;
  return new BackendError(`${what} failed: ${status}${quoted(errorText(error))}.${hint(error)}`, {
    backend: VERTEX_BACKEND_NAME,
    cause: error,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export type ResolvedRetry = Required<VertexRetryOptions>;

export function resolveRetry(options: VertexRetryOptions | undefined): ResolvedRetry {
  return {
    maxAttempts: options?.maxAttempts ?? 8,
    maxEtagAttempts: options?.maxEtagAttempts ?? 100,
    initialDelayMs: options?.initialDelayMs ?? 100,
    maxDelayMs: options?.maxDelayMs ?? 10_000,
  };
}

/** Full-jitter exponential backoff: a random delay in [0, min(max, initial·2^(attempt-1))]. */
export function backoffDelay(retry: ResolvedRetry, attempt: number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.min(attempt - 1, 20));
  return Math.random() * ceiling;
}

function isTransient(error: unknown, idempotent: boolean): boolean {
  const code = grpcCode(error);
  if (oversize(error)) return false; // the same bytes would be refused again
  if (code === Status.UNAVAILABLE || code === Status.RESOURCE_EXHAUSTED) return true;
  return idempotent && code === Status.DEADLINE_EXCEEDED;
}

/**
 * Runs one RPC, retrying UNAVAILABLE and RESOURCE_EXHAUSTED (and DEADLINE_EXCEEDED when the call is
 * idempotent) with jittered backoff. Other errors are rethrown untouched so callers can branch on
 * their status. `fn` receives the attempt number, starting at 1.
 */
export async function withRetry<T>(
  retry: ResolvedRetry,
  fn: (attempt: number) => Promise<T>,
  idempotent = true,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= retry.maxAttempts || !isTransient(error, idempotent)) throw error;
      await sleep(backoffDelay(retry, attempt));
    }
  }
}

/** Maps `items` with at most `limit` calls of `fn` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
