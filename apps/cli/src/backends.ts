import { BackendError, type CheckedBackend, openBackend } from "@exprun/core";

/**
 * Opens the store a URI names with the backend packages installed with the CLI. Core maps the URI to
 * the package and its options (`s3://bucket/prefix?endpoint=…&region=…&path-style=true` included) and
 * returns a checked backend; the CLI only supplies the import, so that packages which are the CLI's
 * dependencies resolve in non-hoisted installs (pnpm, global installs). Each package is imported only
 * when its scheme is used, so the file store never loads the AWS or Google SDKs.
 */
export async function openCliBackend(uri: string): Promise<CheckedBackend> {
  return openBackend(uri, { importer: importPackage });
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
