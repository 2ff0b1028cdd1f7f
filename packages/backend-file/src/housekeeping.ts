import { lstatSync, readdirSync, unlinkSync } from "node:fs";
import path from "node:path";
import { removeTree } from "./fsio.js";

/**
 * Leftovers of processes that died mid-operation, removed by whoever opens the store next. Only names
 * this store writes are ever removed, and only when no live writer can still own them.
 */

/** Files written whole through a temp: `.<base>.<pid>.<id>.tmp` (layout 1: `.<base>.<id>.tmp`). */
const TEMP_BASES = new Set([
  "exprun-store.json",
  "experiment.jsonl",
  "runs.snapshot.json",
  "artifacts.jsonl.snapshot.json",
  "executions.jsonl.snapshot.json",
]);
const TEMP = /^\.(.+)\.(\d+)\.([A-Za-z0-9_-]{12})\.tmp$/;
const LEGACY_TEMP = /^\.(.+)\.([A-Za-z0-9_-]{12})\.tmp$/;
/** A dead writer's temp this young may be a live writer's in another pid namespace (a container). */
const DEAD_WRITER_GRACE_MS = 5_000;
/** A temp without a pid (layout 1) this old cannot belong to a writer still running. */
const LEGACY_TEMP_AGE_MS = 60_000;

/** Whether a process with this pid runs on this machine (EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

function isStray(name: string, ageMs: number): boolean {
  const current = TEMP.exec(name);
  if (current && TEMP_BASES.has(current[1]!)) {
    return ageMs > DEAD_WRITER_GRACE_MS && !isAlive(Number(current[2]));
  }
  const legacy = LEGACY_TEMP.exec(name);
  return legacy !== null && TEMP_BASES.has(legacy[1]!) && ageMs > LEGACY_TEMP_AGE_MS;
}

/** Removes temps of dead writers in `dir` (not below it). Never fails: this is tidying, not a write. */
export function removeStrayTemps(dir: string): void {
  let names: string[];
  try {
    if (!lstatSync(dir).isDirectory()) return; // a link is never entered (exprun never follows one)
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.endsWith(".tmp") || !name.startsWith(".")) continue;
    const file = path.join(dir, name);
    try {
      const info = lstatSync(file);
      if (info.isFile() && isStray(name, now - info.mtimeMs)) unlinkSync(file);
    } catch {
      // gone already, or a read-only store: nothing to tidy
    }
  }
}

/** Entries exprun puts in `.trash/`: `<experiment>.<id>`. */
const TRASH_ENTRY = /^[A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z0-9_-]{12}$/;

/**
 * Finishes deletions a crashed process left in `.trash/`. A `.trash` that is not a real directory (a
 * link, perhaps committed to a repository) is never entered, and entries exprun did not name are kept.
 */
export async function emptyTrash(trash: string): Promise<void> {
  let names: string[];
  try {
    if (!lstatSync(trash).isDirectory()) return;
    names = readdirSync(trash);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => TRASH_ENTRY.test(name))
      .map((name) => removeTree(path.join(trash, name)).catch(() => false)),
  );
}
