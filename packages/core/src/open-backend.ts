import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Backend } from "./backend.js";
import { type CheckedBackend, checkBackend } from "./checked-backend.js";
import { BackendError, InvalidTypeError, ValidationError } from "./errors.js";
import { typeName } from "./validation.js";

/** Makes a backend from the part of a URI after its scheme. */
export type BackendFactory = (uri: URLParts) => Backend | Promise<Backend>;

export interface URLParts {
  /** The whole URI as given. */
  uri: string;
  scheme: string;
  /** `s3://bucket/prefix` → `bucket`; `vertex://project/location` → `project`. */
  host: string;
  /**
   * What follows the host, without its leading slash and with `%XX` escapes decoded; for `file:`
   * URIs the path as given.
   */
  path: string;
  /** The options after `?` (`s3://b/p?region=eu-west-1` → `{ region: "eu-west-1" }`); `{}` for `file:` URIs. */
  options: Readonly<Record<string, string>>;
}

/**
 * Schemes added with {@link registerBackendScheme}, kept on `globalThis` under a registered symbol so
 * that every copy of core in a process shares them: a plugin that imports its project's
 * `@exprun/core` registers a scheme that a globally installed CLI (with its own bundled core) opens.
 */
const SCHEMES = Symbol.for("@exprun/core/backend-schemes");
const shared = globalThis as { [SCHEMES]?: Map<string, BackendFactory> };
shared[SCHEMES] ??= new Map<string, BackendFactory>();
const customSchemes: Map<string, BackendFactory> = shared[SCHEMES];

/**
 * Lets `openBackend` (and so `EXPRUN_BACKEND`, `init({ backend: "…" })` and the CLI's `--backend`)
 * open your own store: `registerBackendScheme("redis", ({ host }) => createRedisBackend({ host }))`.
 */
export function registerBackendScheme(scheme: string, factory: BackendFactory): void {
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
    throw new ValidationError(
      `Invalid URI scheme ${JSON.stringify(scheme)}: use lowercase letters, digits, + . -.`,
    );
  }
  if (typeof factory !== "function") {
    throw new InvalidTypeError(
      `registerBackendScheme(${JSON.stringify(scheme)}, factory) needs a function (uri) => Backend; got ${typeName(factory)}.`,
    );
  }
  customSchemes.set(scheme, factory);
}

export interface OpenOptions {
  /**
   * Imports a backend package by name. By default core imports it from its own location, then from the
   * working directory; a tool that ships backends as its own dependencies (a CLI installed globally,
   * say) passes `(pkg) => import(pkg)` so the import resolves from the tool.
   */
  importer?: (pkg: string) => Promise<unknown>;
}

/** The file store used when nothing else is configured: `$EXPRUN_HOME`, else `./.exprun`. */
export function defaultBackendUri(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.EXPRUN_BACKEND) return env.EXPRUN_BACKEND;
  return `file:${env.EXPRUN_HOME || ".exprun"}`;
}

/**
 * Splits a backend URI: `scheme://host/path?option=value&…` (or `scheme:path`). A bare path (no
 * scheme) is a `file:` URI, whose path is taken as it is (a `?` in it is part of the path). In other
 * URIs `%XX` escapes in the path are decoded and `?` starts the options. A URI carrying credentials
 * (`s3://key:secret@bucket`) is refused, and the message shows it without them.
 */
export function parseBackendUri(uri: string): URLParts {
  if (typeof uri !== "string" || uri.trim() === "") {
    throw new ValidationError(
      `A backend URI must be a non-empty string; got ${typeof uri === "string" ? '""' : typeof uri}.`,
    );
  }
  const match = /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(uri);
  // A Windows drive letter ("C:\…") is a path, not a scheme.
  if (!match || /^[a-z]:[\\/]/i.test(uri)) return { uri, scheme: "file", host: "", path: uri, options: {} };
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  if (scheme === "file") {
    const filePath = rest.startsWith("//") ? decodeURIComponent(rest.slice(2)) : rest;
    return { uri, scheme, host: "", path: filePath, options: {} };
  }
  const query = rest.indexOf("?");
  const beforeQuery = query === -1 ? rest : rest.slice(0, query);
  const authority = beforeQuery.startsWith("//") ? beforeQuery.slice(2) : beforeQuery;
  const slash = authority.indexOf("/");
  let host = slash === -1 ? authority : authority.slice(0, slash);
  const rawPath = slash === -1 ? "" : authority.slice(slash + 1);
  const at = host.lastIndexOf("@");
  if (at !== -1) {
    host = host.slice(at + 1);
    const shown = `${scheme}://${host}${rawPath ? `/${rawPath}` : ""}`;
    throw new ValidationError(
      `Refusing the backend URI ${JSON.stringify(shown)} given with credentials before "@": a URI ends up in ` +
        "shell history, logs and error messages. Remove them and let the store find its credentials (for S3 the " +
        "AWS default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an IAM role).",
    );
  }
  if (authority.includes("#")) {
    throw new ValidationError(
      `Invalid backend URI ${JSON.stringify(safeUri(scheme, host, rawPath))}: write "#" in a path as %23.`,
    );
  }
  return {
    uri,
    scheme,
    host: decodePart(host, uri),
    path: decodePart(rawPath.replace(/\/+$/, ""), uri),
    options: query === -1 ? {} : parseOptions(rest.slice(query + 1), scheme, host, rawPath),
  };
}

function decodePart(part: string, uri: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ValidationError(
      `Invalid backend URI ${JSON.stringify(uri.split("?")[0])}: a %-escape is malformed.`,
    );
  }
}

function parseOptions(query: string, scheme: string, host: string, path: string): Record<string, string> {
  const options: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(query)) {
    if (key in options) {
      throw new ValidationError(
        `The option ${JSON.stringify(key)} is given twice in the backend URI ${JSON.stringify(safeUri(scheme, host, path))}.`,
      );
    }
    options[key] = value;
  }
  return options;
}

/** A URI fit for a message: no credentials, no option values. */
function safeUri(scheme: string, host: string, path: string): string {
  return `${scheme}://${host}${path ? `/${path}` : ""}`;
}

interface BuiltIn {
  pkg: string;
  factory: string;
  /** The factory's options for a URI; throws `ValidationError` on a malformed one, before any import. */
  options(parts: URLParts): Record<string, unknown>;
}

/** `s3://bucket/prefix?endpoint=URL&region=R&path-style=true&conditional-writes=auto`. */
export const S3_URI_OPTIONS = ["endpoint", "region", "path-style", "conditional-writes"] as const;

/**
 * The `createS3Backend` options an `s3://` URI stands for. Credentials always come from the AWS
 * default chain (environment, profile, IAM role), never from the URI.
 */
export function s3OptionsFromUri(parts: URLParts): Record<string, unknown> {
  const shown = safeUri(parts.scheme, parts.host, parts.path);
  if (!parts.host)
    throw new ValidationError(`Invalid S3 URI ${JSON.stringify(shown)}: use s3://bucket/prefix.`);
  const clientConfig: Record<string, unknown> = {};
  const result: Record<string, unknown> = { bucket: parts.host };
  if (parts.path) result.prefix = parts.path;
  for (const [key, value] of Object.entries(parts.options)) {
    switch (key) {
      case "endpoint":
        if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(value)) {
          throw new ValidationError(
            `Invalid endpoint ${JSON.stringify(value)} in ${JSON.stringify(shown)}: use http(s)://host[:port], ` +
              "e.g. ?endpoint=http://127.0.0.1:9000.",
          );
        }
        clientConfig.endpoint = value;
        break;
      case "region":
        if (!/^[a-z0-9-]{1,64}$/i.test(value)) {
          throw new ValidationError(`Invalid region ${JSON.stringify(value)} in ${JSON.stringify(shown)}.`);
        }
        clientConfig.region = value;
        break;
      case "path-style":
        clientConfig.forcePathStyle = booleanOption(key, value, shown);
        break;
      case "conditional-writes":
        if (value === "auto") result.conditionalWrites = "auto";
        else result.conditionalWrites = booleanOption(key, value, shown);
        break;
      default:
        throw new ValidationError(
          `Unknown option ${JSON.stringify(key)} in the S3 URI ${JSON.stringify(shown)}: use ${S3_URI_OPTIONS.join(", ")} ` +
            "(e.g. s3://bucket/prefix?endpoint=http://127.0.0.1:9000&path-style=true).",
        );
    }
  }
  if (Object.keys(clientConfig).length > 0) result.clientConfig = clientConfig;
  return result;
}

function booleanOption(key: string, value: string, shown: string): boolean {
  if (value === "" || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ValidationError(
    `The option ${key} in ${JSON.stringify(shown)} must be true or false; got ${JSON.stringify(value)}.`,
  );
}

function noOptions(parts: URLParts): void {
  const keys = Object.keys(parts.options);
  if (keys.length > 0) {
    throw new ValidationError(
      `${parts.scheme}: URIs take no options; got ${keys.map((k) => JSON.stringify(k)).join(", ")} in ` +
        `${JSON.stringify(safeUri(parts.scheme, parts.host, parts.path))}. Pass options to the backend's create function in code.`,
    );
  }
}

const builtIns: Record<string, BuiltIn> = {
  memory: {
    pkg: "@exprun/backend-memory",
    factory: "createMemoryBackend",
    options: (p) => {
      noOptions(p);
      return {};
    },
  },
  file: {
    pkg: "@exprun/backend-file",
    factory: "createFileBackend",
    options: (p) => ({ root: p.path || undefined }),
  },
  s3: { pkg: "@exprun/backend-s3", factory: "createS3Backend", options: s3OptionsFromUri },
  vertex: {
    pkg: "@exprun/backend-vertex",
    factory: "createVertexBackend",
    options: (p) => {
      if (!p.host || !p.path || p.path.includes("/")) {
        throw new ValidationError(
          `Invalid Vertex URI ${JSON.stringify(safeUri(p.scheme, p.host, p.path))}: use vertex://project/location.`,
        );
      }
      noOptions(p);
      return { project: p.host, location: p.path };
    },
  },
};

/**
 * Opens a backend from a URI: `memory:`, `file:<path>` (or a bare path), `s3://bucket/prefix`,
 * `vertex://project/location`, or a scheme added with {@link registerBackendScheme}. The matching
 * package is imported on demand; when it is not installed the error says which one to install.
 */
export async function openBackend(
  uri: string = defaultBackendUri(),
  options: OpenOptions = {},
): Promise<CheckedBackend> {
  const parts = parseBackendUri(uri);
  const custom = customSchemes.get(parts.scheme);
  if (custom) return checkBackend(await custom(parts));
  const builtIn = builtIns[parts.scheme];
  if (!builtIn) {
    const known = [...new Set([...Object.keys(builtIns), ...customSchemes.keys()])].join(":, ");
    throw new ValidationError(
      `Unknown backend URI ${JSON.stringify(safeUri(parts.scheme, parts.host, parts.path))}. Use one of ${known}: ` +
        "(or register yours with registerBackendScheme).",
    );
  }
  const factoryOptions = builtIn.options(parts);
  const module = options.importer
    ? ((await options.importer(builtIn.pkg)) as Record<string, unknown>)
    : await importBackendPackage(builtIn.pkg, parts.scheme);
  return checkBackend(await call(module, builtIn.factory, factoryOptions));
}

async function importBackendPackage(pkg: string, scheme: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pkg)) as Record<string, unknown>;
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
  }
  // Where packages are not hoisted (pnpm), the user's project can resolve what core cannot.
  try {
    const resolved = createRequire(path.join(process.cwd(), "noop.js")).resolve(pkg);
    return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new BackendError(
      `The ${scheme} backend needs ${pkg}, which is not installed. Run: npm install ${pkg}`,
      {
        backend: scheme,
        cause: error,
      },
    );
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
  );
}

function call(
  module: Record<string, unknown>,
  factory: string,
  options: Record<string, unknown>,
): Backend | Promise<Backend> {
  const fn = module[factory];
  if (typeof fn !== "function") throw new BackendError(`The backend package does not export ${factory}().`);
  return (fn as (o: object) => Backend | Promise<Backend>)(
    Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  );
}
