import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ValidationError } from "@exprun/core";

/**
 * Plugins let the CLI open stores it does not ship: each is a module that calls core's
 * `registerBackendScheme("kv", factory)` when imported. They are named by `EXPRUN_PLUGINS`
 * (comma-separated, resolved from the working directory) and by `"exprun": { "plugins": [...] }` in
 * the nearest package.json above the working directory (resolved from that file's folder); a module
 * is a relative path or an installed package. They are imported only when `--backend` names a scheme
 * the CLI does not know, so commands on the built-in stores never load them.
 */
export async function loadPlugins(
  env: NodeJS.ProcessEnv,
  scheme: string,
  cwd = process.cwd(),
): Promise<string[]> {
  const specs: { spec: string; base: string; from: string }[] = [];
  for (const spec of (env.EXPRUN_PLUGINS ?? "").split(",")) {
    if (spec.trim()) specs.push({ spec: spec.trim(), base: cwd, from: "EXPRUN_PLUGINS" });
  }
  const project = nearestPackageJson(cwd);
  if (project) {
    const plugins = (project.json as { exprun?: { plugins?: unknown } }).exprun?.plugins;
    if (plugins !== undefined) {
      if (!Array.isArray(plugins) || !plugins.every((p) => typeof p === "string")) {
        throw new ValidationError(
          `"exprun.plugins" in ${project.file} must be an array of module names or paths, e.g. ["./exprun-kv.mjs"].`,
        );
      }
      for (const spec of plugins) specs.push({ spec, base: path.dirname(project.file), from: project.file });
    }
  }
  const loaded: string[] = [];
  for (const { spec, base, from } of specs) {
    let resolved: string;
    try {
      resolved = createRequire(path.join(base, "noop.js")).resolve(spec);
    } catch (error) {
      throw new ValidationError(
        `Cannot find the exprun plugin ${JSON.stringify(spec)} (from ${from}), needed for ${scheme}: URIs. ` +
          `Give a path relative to ${base} or an installed package.`,
        { cause: error },
      );
    }
    await import(pathToFileURL(resolved).href);
    loaded.push(resolved);
  }
  return loaded;
}

function nearestPackageJson(cwd: string): { file: string; json: unknown } | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      try {
        return { file, json: JSON.parse(readFileSync(file, "utf8")) };
      } catch (error) {
        throw new ValidationError(`Cannot read ${file} for exprun plugins: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
