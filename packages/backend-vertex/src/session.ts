import { BackendError } from "@exprun/core";
import { v1 } from "@google-cloud/aiplatform";
import { type AuthClient, GoogleAuth } from "google-auth-library";
import { VertexCredentials } from "./inspect.js";
import {
  type GapicClientOptions,
  type MetadataServiceClient,
  type TensorboardServiceClient,
  VERTEX_BACKEND_NAME,
  type VertexBackendOptions,
} from "./options.js";
import { type ResolvedRetry, resolveRetry, toBackendError, withRetry } from "./rpc.js";

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
  // google-gax creates a client's stub on its first RPC, and the generated clients rethrow a failure
  // there in a promise nothing handles (`this.initialize().catch((err) => { throw err; })`): an
  // unreadable credential file ended the process with an unhandled rejection. So before the first RPC
  // the credentials are resolved here (a failure is a BackendError naming the file and the fix; the
  // next call tries again), then our own clients' stubs are created with their failure handled (a
  // stub that failed stays failed in gax, so every later call is refused with that error).
  let stubs: Promise<unknown> | undefined;
  const connect = async (): Promise<void> => {
    if (!stubs && auth && clientsAuthenticate)
      await auth.getClient().catch((error: unknown) => {
        throw credentialsError(error, options.keyFilename);
      });
    stubs ??= Promise.all([ownMd ? md.initialize() : undefined, ownTb ? tb.initialize() : undefined]);
    await stubs.catch((error: unknown) => {
      throw toBackendError("Connecting to Vertex AI", error);
    });
  };
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
    call: async (fn, idempotent = true) => {
      await connect();
      return withRetry(retry, fn, idempotent);
    },
    async close() {
      // A stub that never came up has no channel, and its client's close() rejects with its failure.
      const up = await (stubs ?? Promise.resolve()).then(
        () => true,
        () => false,
      );
      if (!up) return;
      await Promise.all([ownMd ? md.close() : undefined, ownTb ? tb.close() : undefined]);
    },
  };
}

/**
 * Why the credentials could not be read, naming the file (from `keyFilename` or
 * GOOGLE_APPLICATION_CREDENTIALS) and the fix. A file that is not JSON is not quoted: the parser's
 * message would show part of its text, which may be key material.
 */
function credentialsError(error: unknown, keyFilename: string | undefined): BackendError {
  const envFile = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  const file = keyFilename ?? envFile;
  const syntax = error instanceof SyntaxError;
  const options = { backend: VERTEX_BACKEND_NAME, ...(syntax ? {} : { cause: error }) };
  if (!file) {
    return new BackendError(
      `No Google Cloud credentials were found (${String((error as Error).message).replace(/\.+$/, "")}). Run \`gcloud auth application-default login\`, ` +
        "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or pass keyFilename, credentials or authClient.",
      options,
    );
  }
  const missing = (error as { code?: unknown }).code === "ENOENT";
  const why = missing
    ? "it does not exist"
    : syntax
      ? "it is not a JSON key file"
      : String((error as Error).message)
          .replace(/^Unable to read the credential file specified by [^:]*: /, "")
          .replace(/\.+$/, "");
  const named = keyFilename ? "the keyFilename option" : "the file GOOGLE_APPLICATION_CREDENTIALS names";
  const fix = keyFilename
    ? "Give the path of a service-account key file, or pass credentials or authClient instead."
    : "Point GOOGLE_APPLICATION_CREDENTIALS at a service-account key file, or unset it to use the credentials of `gcloud auth application-default login`.";
  return new BackendError(`Could not read the credentials in ${file}, ${named}: ${why}. ${fix}`, options);
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
