import { inspect } from "node:util";
import type { AuthClient, GoogleAuth } from "google-auth-library";

// Printing a backend or a run must never print a service-account private key: `console.log(run)`
// reaches `run.credentials` and `run.backend`, and `console.dir` (which skips custom inspection)
// walks every own property. So the credential object lives only in a private field of the
// `VertexCredentials` below, which no printer can see, and the backend object prints a summary.
// Until core exports its shared helper for this (issue 13.5), this file is the only place the
// Vertex package deals with it; switching is a change of this file alone.

/**
 * Makes `target` print as `label { …summary }` in `util.inspect` / `console.log` and serialize as
 * `summary` in `JSON.stringify`. Both are non-enumerable own properties, so nothing else about the
 * object changes.
 */
export function printAs<T extends object>(target: T, label: string, summary: () => object): T {
  Object.defineProperties(target, {
    [inspect.custom]: {
      value: (_depth: number, options: object) => `${label} ${inspect(summary(), options)}`,
    },
    toJSON: { value: summary },
  });
  return target;
}

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
  get clientEmail(): string | undefined {
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

  toJSON(): object {
    return { type: "VertexCredentials", ...(this.clientEmail ? { clientEmail: this.clientEmail } : {}) };
  }

  [inspect.custom](_depth: number, options: object): string {
    return `VertexCredentials ${inspect(this.clientEmail ? { clientEmail: this.clientEmail } : {}, options)}`;
  }
}

/** GoogleAuth hands out clients; an auth client is one (duck-typed: google-gax bundles another copy). */
function isGoogleAuth(auth: GoogleAuth | AuthClient): auth is GoogleAuth {
  return typeof (auth as Partial<GoogleAuth>).getClient === "function";
}
