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
  "RequestTimeout",
  "RequestTimeoutException",
  "InternalError",
  "ServiceUnavailable",
  "TimeoutError",
  "AbortError",
]);
const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
]);
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function asAwsError(error: unknown): AwsLikeError {
  return typeof error === "object" && error !== null ? (error as AwsLikeError) : { message: String(error) };
}

/** Whether an S3 failure is worth another attempt: server errors, throttling, dropped connections. */
export function isRetryable(error: unknown): boolean {
  const e = asAwsError(error);
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && RETRYABLE_STATUS.has(status)) return true;
  if (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) return true;
  return e.code !== undefined && RETRYABLE_CODES.has(e.code);
}

function isNotFound(error: unknown): boolean {
  const e = asAwsError(error);
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
}

function hint(error: unknown): string {
  const e = asAwsError(error);
  if (e.name === "NoSuchBucket") return "Create the bucket first, or check the bucket name and region.";
  if (e.name === "AccessDenied" || e.$metadata?.httpStatusCode === 403) {
    return "Check the credentials and that they allow s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the prefix.";
  }
  if (e.name === "CredentialsProviderError") {
    return "Configure AWS credentials (environment, shared config, instance role) or pass clientConfig.credentials.";
  }
  return "Check the endpoint, region and network; the request was retried with backoff.";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The few S3 operations the store needs, each retried with backoff and failing as `BackendError`. */
export class S3Transport {
  constructor(
    private readonly client: S3Client,
    private readonly options: ResolvedOptions,
  ) {}

  private async send<T>(operation: string, key: string, attempt: () => Promise<T>): Promise<T> {
    const { maxRetries, retryBaseDelayMs } = this.options;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (tries >= maxRetries || !isRetryable(error)) throw this.wrap(operation, key, error);
        const cap = retryBaseDelayMs * 2 ** Math.min(tries, 8);
        await sleep(Math.min(cap, retryBaseDelayMs * 20) * (0.5 + Math.random() / 2));
      }
    }
  }

  wrap(operation: string, key: string, error: unknown): BackendError {
    const e = asAwsError(error);
    const what = redactSecrets(`${e.name ?? "Error"}: ${e.message ?? String(error)}`);
    return new BackendError(
      `S3 ${operation} of s3://${this.options.bucket}/${key} failed (${what}). ${hint(error)}`,
      {
        backend: S3_BACKEND_NAME,
        cause: error,
      },
    );
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.options.requestTimeoutMs);
  }

  /** Every key (and, with a delimiter, common prefix) under `prefix`, across pages, in key order. */
  async list(
    prefix: string,
    options: { delimiter?: string; startAfter?: string; limit?: number } = {},
  ): Promise<{ keys: string[]; prefixes: string[] }> {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.send("ListObjectsV2", prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: prefix,
            Delimiter: options.delimiter,
            StartAfter: token === undefined ? options.startAfter : undefined,
            ContinuationToken: token,
          }),
          { abortSignal: this.signal() },
        ),
      );
      for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
      for (const item of page.CommonPrefixes ?? []) if (item.Prefix !== undefined) prefixes.push(item.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (options.limit !== undefined && keys.length + prefixes.length >= options.limit) break;
    } while (token !== undefined);
    return { keys, prefixes };
  }

  /** The object's text, or `undefined` when it does not exist. */
  async get(key: string): Promise<string | undefined> {
    return this.send("GetObject", key, async () => {
      try {
        const result = await this.client.send(
          new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
          {
            abortSignal: this.signal(),
          },
        );
        return (await result.Body?.transformToString("utf8")) ?? "";
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  async put(key: string, body: string): Promise<void> {
    await this.send("PutObject", key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: body,
          ContentType: "application/json",
        }),
        { abortSignal: this.signal() },
      ),
    );
  }

  /** Deletes keys in batches of 1,000; keys already gone count as deleted. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      let batch = keys.slice(start, start + 1000);
      for (let tries = 0; batch.length > 0; tries++) {
        const objects = batch.map((Key) => ({ Key }));
        const result = await this.send("DeleteObjects", batch[0] as string, () =>
          this.client.send(
            new DeleteObjectsCommand({
              Bucket: this.options.bucket,
              Delete: { Objects: objects, Quiet: true },
            }),
            { abortSignal: this.signal() },
          ),
        );
        const failed = (result.Errors ?? []).filter((e) => e.Code !== "NoSuchKey" && e.Key !== undefined);
        if (failed.length === 0) break;
        if (tries >= this.options.maxRetries) {
          const first = failed[0];
          throw this.wrap("DeleteObjects", first?.Key ?? "", { name: first?.Code, message: first?.Message });
        }
        batch = failed.map((e) => e.Key as string);
        await sleep(this.options.retryBaseDelayMs * 2 ** tries);
      }
    }
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
