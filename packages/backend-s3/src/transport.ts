import { createHash } from "node:crypto";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { BackendError, redactSecrets } from "@exprun/core";
import { type ResolvedOptions, S3_BACKEND_NAME } from "./options.js";

const RETRYABLE_NAMES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
  "TimeoutError",
  "AbortError",
  "ConditionalRequestConflict",
  // Clock skew: the SDK corrects its signing clock from the server's Date header on these, so the
  // next attempt is signed right (the SDK's own retries do the same; ours replace them).
  "RequestTimeTooSkewed",
  "RequestExpired",
  "RequestInTheFuture",
]);
const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ECONNABORTED",
]);
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  hostname?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function asAwsError(error: unknown): AwsLikeError {
  return typeof error === "object" && error !== null ? (error as AwsLikeError) : { message: String(error) };
}

function status(error: unknown): number | undefined {
  return asAwsError(error).$metadata?.httpStatusCode;
}

/** The Node system error code of `error` or of one of its causes (`ENOTFOUND`, `ECONNRESET`, …). */
function systemCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = asAwsError(e).code;
    if (typeof code === "string" && code.startsWith("E")) return code;
    e = asAwsError(e).cause;
  }
  return undefined;
}

/** Whether an S3 failure is worth another attempt: server errors, throttling, dropped connections. */
export function isRetryable(error: unknown): boolean {
  const code = systemCode(error);
  if (code === "ENOTFOUND") return false;
  const httpStatus = status(error);
  if (httpStatus !== undefined && RETRYABLE_STATUS.has(httpStatus)) return true;
  const e = asAwsError(error);
  if (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) return true;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

function isNotFound(error: unknown): boolean {
  const e = asAwsError(error);
  return e.name === "NoSuchKey" || e.name === "NotFound" || status(error) === 404;
}

function isPreconditionFailed(error: unknown): boolean {
  const e = asAwsError(error);
  return e.name === "PreconditionFailed" || status(error) === 412;
}

/** The host a DNS lookup failed for, from Node's error or its message. */
function failedHost(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const { hostname, message } = asAwsError(e);
    if (typeof hostname === "string") return hostname;
    const match = /ENOTFOUND\s+(\S+)/.exec(message ?? "");
    if (match) return match[1];
    e = asAwsError(e).cause;
  }
  return undefined;
}

function hint(error: unknown, bucket: string): string {
  const e = asAwsError(error);
  if (e.name === "NoSuchBucket") return "Create the bucket first, or check the bucket name and region.";
  if (e.name === "AccessDenied" || status(error) === 403) {
    return "Check the credentials and that they allow s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the prefix.";
  }
  if (e.name === "CredentialsProviderError") {
    return "Configure AWS credentials (environment, shared config, instance role) or pass clientConfig.credentials.";
  }
  if (e.name === "MissingContentMD5" || e.name === "InvalidDigest" || e.name === "BadDigest") {
    return "The server rejected the request's checksum headers; please report this with the server's name and version.";
  }
  if (/Region is missing|Region not accepted/i.test(e.message ?? "")) {
    return 'No AWS region is configured: set clientConfig.region, AWS_REGION, or ?region= in an s3:// URI (S3-compatible servers such as MinIO accept "us-east-1").';
  }
  if (systemCode(error) === "ENOTFOUND") {
    const host = failedHost(error);
    if (host?.startsWith(`${bucket}.`)) {
      return `The client addressed the bucket as a subdomain (virtual-host style, "${host}"), which a custom endpoint usually cannot resolve: set clientConfig.forcePathStyle: true (in a URI: ?path-style=true).`;
    }
    return "The endpoint's host name does not resolve: check the endpoint (clientConfig.endpoint or AWS_ENDPOINT_URL_S3) and the network.";
  }
  const httpStatus = status(error);
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) {
    return "The server refused the request; check the endpoint, region and bucket settings.";
  }
  return "Check the endpoint, region and network.";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How one request is retried: at most `attempts`, and no retry starts after `budgetMs`. */
export interface RetryPolicy {
  attempts: number;
  budgetMs: number;
  baseDelayMs: number;
}

/** What a conditional create PUT found. */
export type PutOutcome = "created" | "exists";

/** The few S3 operations the store needs, each retried by one bounded layer and failing as `BackendError`. */
export class S3Transport {
  private retry: RetryPolicy;
  private readonly ready: Promise<void>;

  constructor(
    private readonly client: S3Client,
    private readonly options: ResolvedOptions,
  ) {
    this.retry = {
      attempts: options.maxAttempts,
      budgetMs: options.retryBudgetMs,
      baseDelayMs: options.retryBaseDelayMs,
    };
    // A client that retries by itself is the one retry layer: stacking ours on top multiplied
    // attempts (SDK × ours) into dozens of requests and tens of seconds per failing call.
    this.ready = this.adoptClientRetries();
  }

  private async adoptClientRetries(): Promise<void> {
    try {
      const configured = (this.client.config as { maxAttempts?: () => Promise<number> }).maxAttempts;
      const attempts = typeof configured === "function" ? await configured() : 1;
      if (attempts > 1) this.retry = { ...this.retry, attempts: 1 };
    } catch {
      // Unknown client shape: keep our own retries.
    }
  }

  /** Runs `attempt` until it succeeds, fails for good, or the attempts or the time budget run out. */
  async send<T>(operation: string, key: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    await this.ready;
    const { attempts, budgetMs, baseDelayMs } = this.retry;
    const started = performance.now();
    for (let tries = 1; ; tries++) {
      try {
        return await attempt(AbortSignal.timeout(this.options.requestTimeoutMs));
      } catch (error) {
        const elapsed = performance.now() - started;
        const delay = Math.min(baseDelayMs * 2 ** (tries - 1), baseDelayMs * 20) * (0.5 + Math.random() / 2);
        if (tries >= attempts || !isRetryable(error) || elapsed + delay > budgetMs) {
          throw this.wrap(operation, key, error, tries, performance.now() - started);
        }
        await sleep(delay);
      }
    }
  }

  wrap(operation: string, key: string, error: unknown, tries = 1, elapsedMs = 0): BackendError {
    const e = asAwsError(error);
    const what = redactSecrets(`${e.name ?? "Error"}: ${e.message ?? String(error)}`);
    const retried = tries > 1 ? ` after ${tries} attempts over ${(elapsedMs / 1000).toFixed(1)} s` : "";
    return new BackendError(
      `S3 ${operation} of s3://${this.options.bucket}/${key} failed${retried} (${what}). ${hint(error, this.options.bucket)}`,
      { backend: S3_BACKEND_NAME, cause: error },
    );
  }

  /** Every key (and, with a delimiter, common prefix) under `prefix`, across pages, in key order. */
  async list(
    prefix: string,
    options: { delimiter?: string; startAfter?: string } = {},
  ): Promise<{ keys: string[]; prefixes: string[] }> {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.send("ListObjectsV2", prefix, (abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: prefix,
            Delimiter: options.delimiter,
            StartAfter: token === undefined ? options.startAfter : undefined,
            ContinuationToken: token,
          }),
          { abortSignal },
        ),
      );
      for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
      for (const item of page.CommonPrefixes ?? []) if (item.Prefix !== undefined) prefixes.push(item.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return { keys, prefixes };
  }

  /** The object's bytes, or `undefined` when it does not exist. */
  async getBytes(key: string): Promise<Uint8Array | undefined> {
    return this.send("GetObject", key, async (abortSignal) => {
      try {
        const result = await this.client.send(
          new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
          { abortSignal },
        );
        return (await result.Body?.transformToByteArray()) ?? new Uint8Array(0);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  /** The object's text, or `undefined` when it does not exist. */
  async get(key: string): Promise<string | undefined> {
    const bytes = await this.getBytes(key);
    return bytes === undefined
      ? undefined
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
  }

  /** Writes an object. With `ifAbsent`, a conditional create (`If-None-Match: *`): "exists" on 412. */
  async put(
    key: string,
    body: string | Uint8Array,
    options: { ifAbsent?: boolean; contentType?: string } = {},
  ): Promise<PutOutcome> {
    return this.send("PutObject", key, async (abortSignal) => {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: key,
            Body: body,
            ContentType: options.contentType ?? "application/json",
            IfNoneMatch: options.ifAbsent ? "*" : undefined,
          }),
          { abortSignal },
        );
        return "created";
      } catch (error) {
        if (options.ifAbsent && isPreconditionFailed(error)) return "exists";
        throw error;
      }
    });
  }

  /**
   * Deletes keys in batches of 1,000; keys already gone count as deleted. Keys the server reports
   * as failed are retried within the same bounds as a failed request.
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      let batch = keys.slice(start, start + 1000);
      await this.send("DeleteObjects", batch[0] as string, async (abortSignal) => {
        const command = new DeleteObjectsCommand({
          Bucket: this.options.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        });
        withContentMd5(command);
        const result = await this.client.send(command, { abortSignal });
        const failed = (result.Errors ?? []).filter((e) => e.Code !== "NoSuchKey" && e.Key !== undefined);
        if (failed.length === 0) return;
        batch = failed.map((e) => e.Key as string);
        const first = failed[0];
        throw Object.assign(new Error(first?.Message ?? "DeleteObjects reported a failed key"), {
          name: first?.Code ?? "DeleteFailed",
          key: first?.Key,
        });
      });
    }
  }
}

/**
 * DeleteObjects with `Content-MD5`. AWS requires an integrity header on it; since the SDK's
 * default-checksum change (aws-sdk-js-v3#6920) it sends a CRC32 instead of the MD5, which MinIO and
 * other S3-compatible servers refuse with 400 `MissingContentMD5`. The MD5 is what every server
 * accepts, AWS included. Added to the command, not the client: a client passed in stays as it was.
 */
function withContentMd5(command: DeleteObjectsCommand): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = (args as { request?: { headers?: Record<string, string>; body?: unknown } }).request;
      const headers = request?.headers;
      const body = request?.body;
      if (headers && (typeof body === "string" || body instanceof Uint8Array)) {
        for (const name of Object.keys(headers)) {
          const lower = name.toLowerCase();
          if (lower.startsWith("x-amz-checksum-") || lower === "x-amz-sdk-checksum-algorithm")
            delete headers[name];
        }
        headers["content-md5"] = createHash("md5").update(body).digest("base64");
      }
      return next(args);
    },
    // After the SDK's flexible-checksums middleware (build step, normal priority), before signing.
    { step: "build", priority: "low", name: "exprunContentMd5" },
  );
}
