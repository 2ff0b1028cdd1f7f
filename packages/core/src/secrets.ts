/**
 * Keeping credentials out of what exprun prints: messages, error causes, `util.inspect` and JSON.
 */

const REDACTED = "[redacted]";

// A value ends at whitespace, a quote, a tag, a separator or an `&` (query strings).
const VALUE = String.raw`[^\s,;"'<>&]+`;
// What separates a header or field name from its value in text, JSON, XML and query strings.
const SEPARATOR = String.raw`["']?\s*(?:[:=]|>)\s*["']?`;

const SECRET_PATTERNS: { pattern: RegExp; replace: (match: string, ...groups: string[]) => string }[] = [
  // PEM private keys, whole (also JSON-escaped, "\n" inside) or cut off before their END line.
  {
    pattern:
      /(-----BEGIN [A-Z ]*PRIVATE KEY-----)(?:[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)|[A-Za-z0-9+/=\s\\]*)/g,
    replace: (_m, begin, end) => `${begin}${REDACTED}${end ?? ""}`,
  },
  // "private_key": "…" in service-account JSON.
  { pattern: /("private_key"\s*:\s*")(?:[^"\\]|\\.)*/gi, replace: (_m, head) => `${head}${REDACTED}` },
  // Authorization headers anywhere (text, JSON, XML): the scheme is kept, the credential is not.
  {
    pattern: new RegExp(
      String.raw`((?<![\w-])(?:proxy-)?authorization${SEPARATOR}(?:(?:bearer|basic|digest|negotiate|aws4-hmac-sha256|aws)\s+)?)${VALUE}`,
      "gi",
    ),
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  // AWS signature v4 parts: Credential=AKID/date/region/service/aws4_request, Signature=…, and the
  // X-Amz-Credential / X-Amz-Signature / X-Amz-Security-Token query parameters of presigned URLs.
  {
    pattern: new RegExp(String.raw`((?<![\w-])(?:x-amz-)?(?:credential|signature)=)${VALUE}`, "gi"),
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  {
    pattern: new RegExp(String.raw`((?<![\w-])x-amz-security-token${SEPARATOR})${VALUE}`, "gi"),
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  // Keys and tokens named as such: aws_secret_access_key=…, "sessionToken":"…", <AWSAccessKeyId>…, api_key=….
  // A name glued to a longer word ("InvalidAccessKeyId: The …") is an error code, not a field: left alone.
  {
    pattern: new RegExp(
      `((?<![A-Za-z0-9])(?:(?:aws[_-]?)?(?:access|secret|session|api|private|refresh|id)[_-]?(?:access[_-]?)?(?:key|token|secret)(?:[_-]?id)?|client[_-]?secret)${SEPARATOR})${VALUE}`,
      "gi",
    ),
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  // Passwords as fields (password=…, "password": "…"); prose ("password: the one you set") is left alone.
  {
    pattern: new RegExp(String.raw`((?<![A-Za-z0-9])pass(?:word|wd)(?:=|["']\s*:\s*["']))${VALUE}`, "gi"),
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  // A password in a URL's userinfo (https://user:secret@host/…): the user name stays.
  {
    pattern: /(?<![\w+.-])([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'<>]*:)[^\s/?#@"'<>]+(?=@)/gi,
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  // The signature an S3 server echoes in a SignatureDoesNotMatch body (<SignatureProvided>…).
  {
    pattern: new RegExp(String.raw`((?<![\w-])signatureprovided${SEPARATOR})${VALUE}`, "gi"),
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  // Bearer tokens and Google OAuth access tokens wherever they appear.
  {
    pattern: /(?<![\w-])(bearer\s+)(?=\S*[0-9._~+/=])[A-Za-z0-9._~+/-]+=*/gi,
    replace: (_m, head) => `${head}${REDACTED}`,
  },
  { pattern: /(?<![\w-])ya29\.[\w.-]+/g, replace: () => `ya29.${REDACTED}` },
  // AWS access key ids.
  { pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g, replace: () => REDACTED },
];

/**
 * Removes credentials from a message: Authorization header values, AWS signature parts and security
 * tokens, keys and tokens named as such, bearer tokens, PEM private keys, access key ids. Only the
 * secret is replaced (by `[redacted]`); the words around it stay. Every `BackendError` message and its
 * cause chain go through it.
 */
export function redactSecrets(message: string): string {
  let out = message;
  for (const { pattern, replace } of SECRET_PATTERNS) {
    out = out.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
  }
  return out;
}

/**
 * Redacts the message and stack of `error` and of every error in its `cause` chain, in place (the
 * errors exprun wraps are its own to change). Returns `error`.
 */
export function redactErrorChain<T>(error: T): T {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    for (const field of ["message", "stack"] as const) {
      const text = current[field];
      if (typeof text !== "string") continue;
      const clean = redactSecrets(text);
      if (clean !== text) {
        try {
          Object.defineProperty(current, field, { value: clean, writable: true, configurable: true });
        } catch {
          // A frozen error keeps its text; what exprun prints of it still goes through redactSecrets.
        }
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return error;
}

/**
 * What a credential is, without its key material: `[GoogleAuth service_account client_email=…]`,
 * `[JWT service_account email=…]`, `[aws accessKeyId=AKIA…WXYZ]`, `[none]`. Safe to print.
 */
export function describeCredentials(credentials: unknown): string {
  if (credentials === undefined || credentials === null) return "[none]";
  if (typeof credentials === "string") return `[string credential, ${credentials.length} characters]`;
  if (typeof credentials === "function") return "[credential provider function]";
  if (typeof credentials !== "object") return `[${typeof credentials} credential]`;
  const c = credentials as Record<string, unknown>;
  const className = safeClassName(credentials);
  const json = pickObject(c.jsonContent) ?? pickObject(c.credentials) ?? c;
  const parts: string[] = [];
  const kind = pickString(json.type) ?? pickString(c.credentialType);
  if (kind) parts.push(kind);
  else if (pickString(c.email) && ("key" in c || "keyFile" in c)) parts.push("service_account");
  const email = pickString(json.client_email) ?? pickString(c.email) ?? pickString(c.client_email);
  if (email) parts.push(`client_email=${email}`);
  const keyFile = pickString(c.keyFilename) ?? pickString(c.keyFile);
  if (keyFile) parts.push(`keyFile=${keyFile}`);
  const accessKeyId = pickString(json.accessKeyId) ?? pickString(c.accessKeyId);
  if (accessKeyId) parts.push(`accessKeyId=${mask(accessKeyId)}`);
  const name = className === "Object" ? (accessKeyId ? "aws" : "credentials") : className;
  return `[${[name, ...parts].join(" ")}]`;
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * Makes `util.inspect` (what `console.log` prints) and `JSON.stringify` of a credential object show
 * {@link describeCredentials} instead of its fields, by defining both, non-enumerable, on the object
 * itself (a wrapper would break clients with private fields). Returns the same object; primitives and
 * frozen objects are returned as they are.
 */
export function protectCredentials<T>(credentials: T): T {
  if (typeof credentials !== "object" || credentials === null || !Object.isExtensible(credentials)) {
    return credentials;
  }
  if (Object.hasOwn(credentials, INSPECT)) return credentials;
  const describe = () => describeCredentials(credentials);
  try {
    Object.defineProperty(credentials, INSPECT, { value: describe, configurable: true });
    Object.defineProperty(credentials, "toJSON", { value: describe, configurable: true });
  } catch {
    // An exotic object (a proxy refusing definitions) stays as it is.
  }
  return credentials;
}

function mask(id: string): string {
  return id.length <= 8 ? "…" : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

function pickString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function pickObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}

function safeClassName(value: object): string {
  try {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
      ?.name;
    return typeof name === "string" && name !== "" ? name : "Object";
  } catch {
    return "Object";
  }
}
