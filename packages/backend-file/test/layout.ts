import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { FORMAT_VERSION } from "../src/index.js";

/** The incarnation id of the run `run` as its experiment's `runs.jsonl` records it now. */
export function currentUid(root: string, experiment: string, run: string): string | undefined {
  const log = readFileSync(path.join(root, "experiments", experiment, "runs.jsonl"), "utf8");
  let uid: string | undefined;
  for (const line of log.split("\n")) {
    if (!line.endsWith("}")) continue;
    const record = JSON.parse(line) as { op: string; run: string; uid: string };
    if (record.run !== run) continue;
    if (record.op === "create" && uid === undefined) uid = record.uid;
    if (record.op === "delete" && record.uid === uid) uid = undefined;
  }
  return uid;
}

/** Where the store keeps the data of the current incarnation of a run (the layout of FORMAT_VERSION). */
export function runDataDir(root: string, experiment: string, run: string): string {
  const runs = path.join(root, "experiments", experiment, "runs");
  if (FORMAT_VERSION < 2) return path.join(runs, run);
  return path.join(runs, `${run}.${currentUid(root, experiment, run)}`);
}

/** The run's time-series file. */
export function seriesFile(root: string, experiment: string, run: string): string {
  return path.join(runDataDir(root, experiment, run), "timeseries.jsonl");
}

/** Every file under `dir`, relative, sorted. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      out.push(path.relative(dir, full));
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out.sort();
}
