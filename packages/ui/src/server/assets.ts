import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** A file of the bundled page, kept in memory with its gzip form (the whole page is a few hundred KB). */
export interface Asset {
  body: Uint8Array;
  gzip: Uint8Array;
  type: string;
  /** Hashed names never change content: cached for a year. `index.html` is revalidated. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json; charset=utf-8",
};

/**
 * The page built by `scripts/build-web.mjs` into `dist/web` of this package (found from this module,
 * whether it runs from `dist/` or, in tests, from `src/`). Nothing is fetched at run time.
 */
export function defaultAssetsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, "package.json"))) return path.join(dir, "dist", "web");
    dir = path.dirname(dir);
  }
  throw new Error("[exprun] [ui] Cannot find the @exprun/ui package folder next to its code.");
}

export function loadAssets(dir: string): Map<string, Asset> {
  const manifestFile = path.join(dir, "manifest.json");
  if (!existsSync(manifestFile)) {
    throw new Error(
      `[exprun] [ui] The page is not built: ${manifestFile} is missing. Run: pnpm --filter @exprun/ui build`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { files: string[] };
  const assets = new Map<string, Asset>();
  for (const file of manifest.files) {
    const body = readFileSync(path.join(dir, file));
    const ext = path.extname(file);
    assets.set(`/${file}`, {
      body,
      gzip: gzipSync(body, { level: 9 }),
      type: TYPES[ext] ?? "application/octet-stream",
      immutable: file !== "index.html",
    });
  }
  return assets;
}
