// Adds up what vitest reported in every workspace package (turbo keeps each task's log in
// <package>/.turbo/turbo-test.log, replayed logs included) and prints one closing line.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dirs = ["packages", "apps", "examples", "bench"].flatMap((group) => {
  const base = path.join(root, group);
  if (!existsSync(base)) return [];
  if (existsSync(path.join(base, "package.json"))) return [base];
  return readdirSync(base).map((name) => path.join(base, name));
});

const totals = { passed: 0, failed: 0, skipped: 0 };
const rows = [];
for (const dir of dirs) {
  const log = path.join(dir, ".turbo", "turbo-test.log");
  if (!existsSync(log)) continue;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const text = readFileSync(log, "utf8").replace(/\u001b\[[0-9;]*m/g, "");
  const line = [...text.matchAll(/^\s*Tests\s+(.+)$/gm)].pop()?.[1];
  if (!line) continue;
  const count = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  const row = {
    package: path.relative(root, dir),
    passed: count("passed"),
    failed: count("failed"),
    skipped: count("skipped"),
  };
  rows.push(row);
  for (const key of Object.keys(totals)) totals[key] += row[key];
}
for (const r of rows)
  console.log(
    `${r.package.padEnd(32)} ${String(r.passed).padStart(5)} passed  ${r.failed} failed  ${r.skipped} skipped`,
  );
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.failed > 0 || rows.length === 0 ? 1 : 0;
