import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Backend } from "./backend.js";
import { BackendError, ValidationError } from "./errors.js";

/** Makes a backend from the part of a URI after its scheme. */
export type BackendFactory = (uri: URLParts) => Backend | Promise<Backend>;

export interface URLParts {
  /** The whole URI as given. */
  uri: string;
  scheme: string;
  /** `s3://bucket/prefix` → `bucket`; `vertex://project/location` → `project`. */
  host: string;
  /** What follows the host, without its leading slash; for `file:` URIs the path. */
  path: string;
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
export function defaultBackendUri(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EXPRUN_BACKEND) return env.EXPRUN_BACKEND;
  return `file:${env.EXPRUN_HOME || ".exprun"}`;
}

/** Splits a backend URI. A bare path (no scheme) is a `file:` URI. */
export function parseBackendUri(uri: string): URLParts {
  const match = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(uri);
  // A Windows drive letter ("C:\…") is a path, not a scheme.
  if (!match || /^[a-z]:[\\/]/i.test(uri)) return { uri, scheme: "file", host: "", path: uri };
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  if (scheme === "file") {
    const filePath = rest.startsWith("//") ? decodeURIComponent(rest.slice(2)) : rest;
    return { uri, scheme, host: "", path: filePath };
  }
  const authority = rest.startsWith("//") ? rest.slice(2) : rest;
  const slash = authority.indexOf("/");
  const host = slash === -1 ? authority : authority.slice(0, slash);
  const rawPath = slash === -1 ? "" : authority.slice(slash + 1);
  return { uri, scheme, host, path: rawPath.replace(/\/+$/, "") };
}

interface BuiltIn {
  pkg: string;
  factory: string;
  /** The factory's options for a URI; throws `ValidationError` on a malformed one, before any import. */
  options(parts: URLParts): Record<string, string | undefined>;
}

const builtIns: Record<string, BuiltIn> = {
  memory: { pkg: "@exprun/backend-memory", factory: "createMemoryBackend", options: () => ({}) },
  file: {
    pkg: "@exprun/backend-file",
    factory: "createFileBackend",
    options: (p) => ({ root: p.path || undefined }),
  },
  s3: {
    pkg: "@exprun/backend-s3",
    factory: "createS3Backend",
    options: (p) => {
      if (!p.host)
        throw new ValidationError(`Invalid S3 URI ${JSON.stringify(p.uri)}: use s3://bucket/prefix.`);
      return { bucket: p.host, prefix: p.path || undefined };
    },
  },
  vertex: {
    pkg: "@exprun/backend-vertex",
    factory: "createVertexBackend",
    options: (p) => {
      if (!p.host || !p.path || p.path.includes("/")) {
        throw new ValidationError(
          `Invalid Vertex URI ${JSON.stringify(p.uri)}: use vertex://project/location.`,
        );
      }
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
): Promise<Backend> {
  const parts = parseBackendUri(uri);
  const custom = customSchemes.get(parts.scheme);
  if (custom) return custom(parts);
  const builtIn = builtIns[parts.scheme];
  if (!builtIn) {
    const known = [...new Set([...Object.keys(builtIns), ...customSchemes.keys()])].join(":, ");
    throw new ValidationError(
      `Unknown backend URI ${JSON.stringify(uri)}. Use one of ${known}: (or register yours with registerBackendScheme).`,
    );
  }
  const factoryOptions = builtIn.options(parts);
  const module = options.importer
    ? ((await options.importer(builtIn.pkg)) as Record<string, unknown>)
    : await importBackendPackage(builtIn.pkg, parts.scheme);
  return call(module, builtIn.factory, factoryOptions);
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
  options: Record<string, string | undefined>,
): Backend | Promise<Backend> {
  const fn = module[factory];
  if (typeof fn !== "function") throw new BackendError(`The backend package does not export ${factory}().`);
  return (fn as (o: object) => Backend | Promise<Backend>)(
    Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  );
}
