import { type Backend, BackendError, openBackend, parseBackendUri, ValidationError } from "@exprun/core";

/**
 * Opens the store a URI names with the backend packages installed with the CLI. Core maps the URI to
 * the package and its options; the CLI only supplies the import, so that packages which are the CLI's
 * dependencies resolve in non-hoisted installs (pnpm, global installs). Each package is imported only
 * when its scheme is used, so the file store never loads the AWS or Google SDKs. `s3://` URIs may carry
 * `?endpoint=…` parameters, which core's URIs do not have.
 */
export async function openCliBackend(uri: string): Promise<Backend> {
  const parts = parseBackendUri(uri);
  if (parts.scheme === "s3" && uri.includes("?")) {
    if (!parts.host)
      throw new ValidationError(`Invalid S3 URI ${JSON.stringify(uri)}: use s3://bucket/prefix.`);
    const { createS3Backend } = (await importPackage("@exprun/backend-s3")) as {
      createS3Backend: (options: Record<string, unknown>) => Backend | Promise<Backend>;
    };
    return createS3Backend(s3Options(uri));
  }
  return openBackend(uri, { importer: importPackage });
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
      return import(optional).catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
        throw new BackendError(`This store needs ${pkg}, which is not installed. Run: npm install ${pkg}`, {
          cause: error,
        });
      });
    }
  }
}
