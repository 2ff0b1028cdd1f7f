// Runs every suite in ./suites in name order, each in its own process so one store's memory and
// timers cannot skew another's numbers. A suite prints its own table; this file prints the banner.
// `pnpm bench -- <substring>` runs only the suites whose file name contains it.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const suites = readdirSync(path.join(here, "suites"))
  .filter((f) => f.endsWith(".mjs") && (!only || f.includes(only)))
  .sort();
console.log(
  `exprun bench — node ${process.version}, ${os.cpus().length} cores, ${os.platform()} ${os.arch()}`,
);
let failed = 0;
for (const suite of suites) {
  console.log(`\n== ${suite} ==`);
  const result = spawnSync(process.execPath, ["--expose-gc", path.join(here, "suites", suite)], {
    stdio: "inherit",
  });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
