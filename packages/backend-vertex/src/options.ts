import type { v1 } from "@google-cloud/aiplatform";
import type { AuthClient, CredentialBody } from "google-auth-library";

/** The backend's short name, used in messages and in `vertex://project/location` URIs. */
export const VERTEX_BACKEND_NAME = "vertex";

/** The Vertex ML Metadata v1 client (`new v1.MetadataServiceClient(...)` of `@google-cloud/aiplatform`). */
export type MetadataServiceClient = InstanceType<typeof v1.MetadataServiceClient>;
/** The Vertex TensorBoard v1 client (`new v1.TensorboardServiceClient(...)` of `@google-cloud/aiplatform`). */
export type TensorboardServiceClient = InstanceType<typeof v1.TensorboardServiceClient>;
/** The GAPIC client options (`ClientOptions` of google-gax). */
export type GapicClientOptions = NonNullable<ConstructorParameters<typeof v1.MetadataServiceClient>[0]>;

/** How transient failures (UNAVAILABLE, RESOURCE_EXHAUSTED, etag conflicts) are retried. */
export interface VertexRetryOptions {
  /**
   * Attempts per call for UNAVAILABLE / RESOURCE_EXHAUSTED (and DEADLINE_EXCEEDED on reads).
   * @default 8
   */
  maxAttempts?: number;
  /**
   * Attempts of one etag-guarded read-merge-write before giving up with `ConflictError`. Every
   * attempt re-reads the resource, so a writer only gives up under sustained contention.
   * @default 100
   */
  maxEtagAttempts?: number;
  /**
   * First backoff delay in ms; each retry doubles it (full jitter), up to `maxDelayMs`.
   * @default 100
   */
  initialDelayMs?: number;
  /** @default 10000 */
  maxDelayMs?: number;
}

export interface VertexBackendOptions {
  /** Google Cloud project id (or number) that owns the metadata store and TensorBoards. */
  project: string;
  /** Vertex AI region, e.g. `"us-central1"`. Also picks the endpoint `{location}-aiplatform.googleapis.com`. */
  location: string;
  /**
   * Service-account credentials (`client_email`, `private_key`). Never printed in errors.
   * @default application default credentials
   */
  credentials?: CredentialBody;
  /** A ready google-auth-library client (e.g. `OAuth2Client`, `JWT`, `Impersonated`). Wins over `credentials`. */
  authClient?: AuthClient | GapicClientOptions["authClient"];
  /** Path of a service-account key file. */
  keyFilename?: string;
  /** @default `${location}-aiplatform.googleapis.com` */
  apiEndpoint?: string;
  /** @default 443 */
  port?: number;
  /** gRPC channel credentials; `grpc.credentials.createInsecure()` talks plain text to a local fake. */
  sslCreds?: GapicClientOptions["sslCreds"];
  /** Only the store the Python SDK uses is supported. @default "default" */
  metadataStore?: "default";
  /** Extra options passed to both GAPIC client constructors. */
  clientOptions?: GapicClientOptions;
  /** Use this client instead of building one (tests, custom transports). Not closed by `close()`. */
  metadataClient?: MetadataServiceClient;
  /** Use this client instead of building one. Not closed by `close()`. */
  tensorboardClient?: TensorboardServiceClient;
  /**
   * Most RPCs one fan-out (experiment DataFrame with time series, experiment delete) keeps in flight.
   * @default 8
   */
  concurrency?: number;
  retry?: VertexRetryOptions;
}
