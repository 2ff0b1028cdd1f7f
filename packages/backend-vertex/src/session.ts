import { v1 } from "@google-cloud/aiplatform";
import { type AuthClient, GoogleAuth } from "google-auth-library";
import { VertexCredentials } from "./inspect.js";
import type {
  GapicClientOptions,
  MetadataServiceClient,
  TensorboardServiceClient,
  VertexBackendOptions,
} from "./options.js";
import { type ResolvedRetry, resolveRetry, withRetry } from "./rpc.js";

const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Everything one backend instance shares: clients, resource-name roots, retry and fan-out limits. */
export interface Session {
  readonly project: string;
  readonly location: string;
  /** `projects/{P}/locations/{L}/metadataStores/default` */
  readonly store: string;
  readonly apiEndpoint: string;
  readonly md: MetadataServiceClient;
  readonly tb: TensorboardServiceClient;
  readonly retry: ResolvedRetry;
  readonly concurrency: number;
  /** What `backend.credentials` is: printable, and `getClient()` gives the auth client. */
  readonly credentials: VertexCredentials | undefined;
  /** One RPC with transient-failure retries (see `withRetry`). */
  call<T>(fn: (attempt: number) => Promise<T>, idempotent?: boolean): Promise<T>;
  close(): Promise<void>;
}

export function openSession(options: VertexBackendOptions): Session {
  const { project, location } = options;
  const apiEndpoint = options.apiEndpoint ?? `${location}-aiplatform.googleapis.com`;
  const needClient = !options.metadataClient || !options.tensorboardClient;
  // The clients authenticate unless custom channel credentials (a local fake) say otherwise.
  const clientsAuthenticate = needClient && !options.sslCreds;
  // One GoogleAuth for both clients: one credential discovery and one token cache. Application
  // default credentials unless an auth client, credentials or a key file are given. Given
  // credentials always get one, so that `run.credentials` is them whatever the channel.
  const auth =
    clientsAuthenticate || options.credentials || options.keyFilename
      ? new GoogleAuth({
          scopes: [CLOUD_PLATFORM_SCOPE],
          ...(options.authClient ? { authClient: options.authClient as AuthClient } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
          ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
        })
      : undefined;
  const clientOptions: GapicClientOptions = {
    ...options.clientOptions,
    apiEndpoint,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.sslCreds ? { sslCreds: options.sslCreds } : {}),
    // google-gax bundles its own google-auth-library copy; both are used only through public methods.
    ...(options.authClient
      ? { authClient: options.authClient as unknown as GapicClientOptions["authClient"] }
      : {}),
    // google-gax bundles its own google-auth-library copy; the instance is used through its public methods.
    ...(auth && clientsAuthenticate ? { auth: auth as unknown as GapicClientOptions["auth"] } : {}),
  };
  const ownMd = !options.metadataClient;
  const ownTb = !options.tensorboardClient;
  const md = options.metadataClient ?? new v1.MetadataServiceClient(clientOptions);
  const tb = options.tensorboardClient ?? new v1.TensorboardServiceClient(clientOptions);
  const retry = resolveRetry(options.retry);
  return {
    project,
    location,
    store: `projects/${project}/locations/${location}/metadataStores/${options.metadataStore ?? "default"}`,
    apiEndpoint,
    md,
    tb,
    retry,
    concurrency: Math.max(1, options.concurrency ?? 8),
    // Printable without the key (`console.log(run)` reaches `run.credentials`).
    credentials: credentialsOf(options.authClient ?? auth),
    call: (fn, idempotent = true) => withRetry(retry, fn, idempotent),
    async close() {
      await Promise.all([ownMd ? md.close() : undefined, ownTb ? tb.close() : undefined]);
    },
  };
}

function credentialsOf(auth: GoogleAuth | VertexBackendOptions["authClient"]): VertexCredentials | undefined {
  return auth ? new VertexCredentials(auth as AuthClient) : undefined;
}

export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

/** Milliseconds since the epoch of a protobuf Timestamp (seconds arrive as a string or Long). */
export function timestampMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

export function toTimestamp(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}
