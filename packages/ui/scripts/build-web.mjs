// Bundles the page (src/web) into dist/web at build time: one script, one stylesheet and index.html,
// names hashed so browsers may cache them for good. Nothing is fetched from a network at run time.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "dist", "web");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: path.join(root, "src/web/main.ts"), style: path.join(root, "src/web/style.css") },
  bundle: true,
  minify: true,
  format: "esm",
  // The run and compare pages (with uPlot) are chunks of their own, loaded when first opened.
  splitting: true,
  chunkNames: "chunk-[hash]",
  target: ["chrome110", "firefox115", "safari16"],
  entryNames: "[name]-[hash]",
  outdir: out,
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
});

const files = readdirSync(out);
const js = files.find((f) => /^app-.*\.js$/.test(f));
const css = files.find((f) => /^style-.*\.css$/.test(f));
if (!js || !css) throw new Error(`build-web: missing output in ${out}: ${files.join(", ")}`);
// The entry's static imports are preloaded with it (no waterfall); the lazy pages' chunks are not.
const entry = Object.entries(result.metafile.outputs).find(([file]) => path.basename(file) === js);
const preloads = (entry?.[1].imports ?? [])
  .filter((i) => i.kind === "import-statement")
  .map((i) => `<link rel="modulepreload" href="/assets/${path.basename(i.path)}">\n`)
  .join("");
// The shell paints at once (first contentful paint) while the script loads; the script replaces it.
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>exprun</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${css}">
<script type="module" src="/assets/${js}"></script>
${preloads}</head>
<body>
<div id="app"><header class="top"><a class="brand" href="/">exprun</a></header><p class="shell">Loading…</p></div>
</body>
</html>
`;
writeFileSync(path.join(out, "index.html"), html);
const listed = readdirSync(out).filter((f) => !f.endsWith(".map"));
writeFileSync(path.join(out, "manifest.json"), `${JSON.stringify({ files: listed }, null, 2)}\n`);
const sizes = Object.entries(result.metafile.outputs).map(
  ([f, o]) => `${path.basename(f)} ${(o.bytes / 1024).toFixed(1)} KB`,
);
console.log(`build-web: ${sizes.join(", ")}`);
