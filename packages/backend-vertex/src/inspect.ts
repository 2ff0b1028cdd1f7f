import { inspect } from "node:util";
import { describeCredentials } from "@exprun/core";
import type { AuthClient, GoogleAuth } from "google-auth-library";

// Printing a backend or a run must never print a service-account private key. Core's gateway and
// `ExperimentRun` print credentials through `describeCredentials`; but `console.dir` (which skips
// custom inspection) and `util.inspect(…, { getters: true })` walk own properties, and a GoogleAuth
// keeps the key in `jsonContent`. So the credential object lives only in a private field of the
// `VertexCredentials` below, which no printer can reach, and it prints as core describes it.

/**
 * What `backend.credentials` (and so `run.credentials`) is on Vertex: the credentials the backend
 * authenticates with, safe to print and to serialize. `getClient()` hands out the
 * google-auth-library client itself when code needs it (printing that is then the caller's choice).
 */
export class VertexCredentials {
  readonly #auth: GoogleAuth | AuthClient;

  /** @internal Built by `createVertexBackend`. */
  constructor(auth: GoogleAuth | AuthClient) {
    this.#auth = auth;
  }

  /** The service account's e-mail, when the credentials are a service account's. */
  get email(): string | undefined {
    const holder = this.#auth as { jsonContent?: { client_email?: unknown } | null; email?: unknown };
    const email = holder.jsonContent?.client_email ?? holder.email;
    return typeof email === "string" ? email : undefined;
  }

  /** The google-auth-library client requests are authenticated with. */
  async getClient(): Promise<AuthClient> {
    const auth = this.#auth;
    return isGoogleAuth(auth) ? ((await auth.getClient()) as AuthClient) : auth;
  }

  /** An OAuth2 access token for the Cloud Platform scope. */
  async getAccessToken(): Promise<string | undefined> {
    const token = await (await this.getClient()).getAccessToken();
    return token.token ?? undefined;
  }

  toJSON(): string {
    return describeCredentials(this);
  }

  [inspect.custom](): string {
    return describeCredentials(this);
  }
}

/** GoogleAuth hands out clients; an auth client is one (duck-typed: google-gax bundles another copy). */
function isGoogleAuth(auth: GoogleAuth | AuthClient): auth is GoogleAuth {
  return typeof (auth as Partial<GoogleAuth>).getClient === "function";
}
