import { inspect } from "node:util";

// Printing a backend or a run must never print a service-account private key: `console.log(run)`
// reaches `run.credentials` and `run.backend`. Until core exports its shared helper for this
// (issue 13.5), the two functions below are the only place the Vertex package does it; switching
// is a change of this file alone.

/**
 * Makes `target` print as `label { …summary }` in `util.inspect` / `console.log` and serialize as
 * `summary` in `JSON.stringify`. Both are non-enumerable own properties, so nothing else about the
 * object changes; an object that already defines its own printing is left alone.
 */
export function printAs<T extends object>(target: T, label: string, summary: () => object): T {
  if (!Object.isExtensible(target) || Object.hasOwn(target, inspect.custom)) return target;
  Object.defineProperties(target, {
    [inspect.custom]: {
      value: (_depth: number, options: object) => `${label} ${inspect(summary(), options)}`,
    },
    toJSON: { value: summary },
  });
  return target;
}

/**
 * Makes a credential object (google-auth-library's `GoogleAuth`, a `JWT`, any auth client) safe to
 * print: its type, and the service account's e-mail when it has one; never a key or a token.
 */
export function printCredentialsSafely<T>(credentials: T): T {
  if (typeof credentials !== "object" || credentials === null) return credentials;
  const holder = credentials as {
    email?: unknown;
    jsonContent?: { client_email?: unknown } | null;
    constructor?: { name?: unknown };
  };
  const label = typeof holder.constructor?.name === "string" ? holder.constructor.name : "Credentials";
  return printAs(credentials, label, () => {
    const email = holder.jsonContent?.client_email ?? holder.email;
    return { ...(typeof email === "string" ? { client_email: email } : {}), secrets: "[redacted]" };
  });
}
