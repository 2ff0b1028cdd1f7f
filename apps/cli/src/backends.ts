import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  BackendError,
  type CheckedBackend,
  isExprunError,
  openBackend,
  parseBackendUri,
  ValidationError,
} from "@exprun/core";
import { installHint } from "./install.js";
import { loadPlugins } from "./plugins.js";

/** Schemes core opens from a package; any other scheme needs a plugin that registers it. */
const BUILT_IN_SCHEMES = new Set(["memory", "file", "s3", "vertex"]);

/**
 * Opens the store a URI names. Core maps the URI to its backend package and options; the CLI
 * supplies the import: the package of the working directory's project first (so a global exprun
 * uses the `@exprun/backend-vertex` of the project it runs in), then the CLI's own dependency. A
 * scheme core does not know loads the project's plugins first (`EXPRUN_PLUGINS`, or `exprun.plugins`
 * in its package.json), which register it. Core returns a checked backend and reads URI options
 * (`s3://bucket/prefix?endpoint=…&region=…&path-style=true`).
 */
export async function openCliBackend(
  uri: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CheckedBackend> {
  const parts = parseBackendUri(uri);
  if (!BUILT_IN_SCHEMES.has(parts.scheme)) await loadPlugins(env, parts.scheme);
  try {
    return await openBackend(uri, { importer: importPackage });
  } catch (error) {
    if (isExprunError(error, "VALIDATION") && /Unknown backend URI/.test(error.message)) {
      throw new ValidationError(
        `${error.message.replace(/^\[exprun\] /, "")} From the CLI, name the module that registers ` +
          `${parts.scheme}: in EXPRUN_PLUGINS=./module.mjs or in "exprun": { "plugins": ["./module.mjs"] } of your package.json.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** A backend package: the project's copy when it has one, else the CLI's own. */
async function importPackage(pkg: string): Promise<unknown> {
  const fromProject = resolveFromProject(pkg);
  if (fromProject) return import(pathToFileURL(fromProject).href);
  return importOwn(pkg);
}

/** Where the working directory's project (or any folder above it) has the package, if it does. */
export function resolveFromProject(pkg: string, cwd = process.cwd()): string | undefined {
  try {
    return createRequire(path.join(cwd, "noop.js")).resolve(pkg);
  } catch (error) {
    if (isModuleNotFound(error)) return undefined;
    throw error;
  }
}

/** A literal specifier per dependency, so the bundler and readers see exactly what may be loaded. */
function importOwn(pkg: string): Promise<unknown> {
  switch (pkg) {
    case "@exprun/backend-memory":
      return import("@exprun/backend-memory");
    case "@exprun/backend-file":
      return import("@exprun/backend-file");
    case "@exprun/backend-s3":
      return import("@exprun/backend-s3");
    default: {
      // Not a dependency of the CLI (vertex://): installed next to a global CLI, it still resolves.
      const optional: string = pkg;
      return import(optional).catch((error: unknown) => {
        if (!isModuleNotFound(error)) throw error;
        throw new BackendError(`This store needs ${pkg}, which is not installed. ${installHint(pkg)}`, {
          cause: error,
        });
      });
    }
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}
