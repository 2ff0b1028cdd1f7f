// Bundles the binary: the CLI's own code, @exprun/core, the file and memory backends and the small
// libraries they use become one file, dist/exprun.js, so that starting `exprun` reads one file
// instead of resolving and loading ~80 modules (see bench/suites/40-cli.mjs for the numbers).
// The S3 backend (and with it the AWS SDK), the Vertex backend, the importers (sql.js loads its
// WebAssembly next to itself), the web UI and cli-progress stay separate
// packages, imported only when a command needs them; so do the project's own backend packages and
// plugins, which the CLI resolves at run time. `dist/bin.js` (tsc's output) stays the unbundled entry
// of the same code, which the benchmark times against the bundle.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));

await build({
  entryPoints: [path.join(root, "src", "bin.ts")],
  outfile: path.join(root, "dist", "exprun.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Packages loaded lazily at run time (see above); Node's own modules are external on platform node.
  external: ["@exprun/backend-s3", "@exprun/backend-vertex", "@exprun/import", "@exprun/ui", "cli-progress"],
  // CommonJS dependencies (commander) call require(); give the ESM bundle one.
  banner: {
    js: 'import { createRequire as __exprunCreateRequire } from "node:module"; const require = __exprunCreateRequire(import.meta.url);',
  },
  define: { EXPRUN_CLI_VERSION: JSON.stringify(pkg.version) },
  legalComments: "none",
  logLevel: "warning",
  sourcemap: false,
});
