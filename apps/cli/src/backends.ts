import {
  type Backend,
  BackendError,
  registerBackendScheme,
  type URLParts,
  ValidationError,
} from "@exprun/core";

type Factory = (options: Record<string, unknown>) => Backend | Promise<Backend>;

/**
 * Makes `memory:`, `file:`, `s3://` and `vertex://` open the backend packages installed with the CLI
 * (`@exprun/backend-vertex` is optional: install it next to the CLI). Core imports
 * a backend package from its own location (or the working directory), which misses packages that
 * are dependencies of the CLI in non-hoisted installs (pnpm, global installs). Each package is
 * imported only when its scheme is used, so the file store never loads the AWS or Google SDKs.
 */
export function registerCliBackends(): void {
  registerBackendScheme("memory", async () =>
    (await load("@exprun/backend-memory", "createMemoryBackend"))({}),
  );
  registerBackendScheme("file", async (p: URLParts) =>
    (await load("@exprun/backend-file", "createFileBackend"))(p.path ? { root: p.path } : {}),
  );
  registerBackendScheme("vertex", async (p: URLParts) => {
    if (!p.host || !p.path || p.path.includes("/")) {
      throw new ValidationError(
        `Invalid Vertex URI ${JSON.stringify(p.uri)}: use vertex://project/location.`,
      );
    }
    return (await load("@exprun/backend-vertex", "createVertexBackend"))({
      project: p.host,
      location: p.path,
    });
  });
  registerBackendScheme("s3", async (p: URLParts) => {
    if (!p.host)
      throw new ValidationError(`Invalid S3 URI ${JSON.stringify(p.uri)}: use s3://bucket/prefix.`);
    return (await load("@exprun/backend-s3", "createS3Backend"))(s3Options(p.uri));
  });
}

/**
 * `s3://bucket/prefix`, optionally with `?endpoint=URL&region=R&path-style=true` for S3-compatible
 * services (MinIO, R2, s3rver); credentials always come from the AWS default chain.
 */
export function s3Options(uri: string): Record<string, unknown> {
  const url = new URL(uri);
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  const clientConfig: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) {
    if (key === "endpoint") clientConfig.endpoint = value;
    else if (key === "region") clientConfig.region = value;
    else if (key === "path-style" || key === "forcePathStyle")
      clientConfig.forcePathStyle = value !== "false";
    else {
      throw new ValidationError(
        `Unknown S3 URI parameter ${JSON.stringify(key)} in ${JSON.stringify(uri)}: use endpoint, region or path-style.`,
      );
    }
  }
  return {
    bucket: url.hostname,
    ...(prefix ? { prefix } : {}),
    ...(Object.keys(clientConfig).length ? { clientConfig } : {}),
  };
}

async function load(pkg: string, factory: string): Promise<Factory> {
  let module: Record<string, unknown>;
  try {
    module = (await importPackage(pkg)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
    throw new BackendError(`This store needs ${pkg}, which is not installed. Run: npm install ${pkg}`, {
      cause: error,
    });
  }
  const fn = module[factory];
  if (typeof fn !== "function") throw new BackendError(`${pkg} does not export ${factory}().`);
  return fn as Factory;
}

/** A literal specifier per package, so bundlers and readers see exactly what may be loaded. */
function importPackage(pkg: string): Promise<unknown> {
  switch (pkg) {
    case "@exprun/backend-memory":
      return import("@exprun/backend-memory");
    case "@exprun/backend-file":
      return import("@exprun/backend-file");
    case "@exprun/backend-s3":
      return import("@exprun/backend-s3");
    default: {
      // Not a dependency of the CLI (install it next to the CLI to use vertex:// stores).
      const optional: string = pkg;
      return import(optional);
    }
  }
}
