import { closeSync, constants, fstatSync, readdirSync } from "node:fs";
import { rename } from "node:fs/promises";
import path from "node:path";
import { BackendError } from "@exprun/core";
import { entryKind, fsError, isMissing, isRealDir, openRegular, removeTree, syncDir } from "./fsio.js";
import { type LogRecord, parseLines, readLineBlocks } from "./jsonl.js";
import { isSafeSegment } from "./paths.js";

/**
 * Layout 1 → 2. Layout 1 kept a run's data in `runs/<run>/`, shared by every incarnation of the name,
 * so a delete (or a late write) racing a re-create could touch the new run's points. Layout 2 names the
 * directory by incarnation: `runs/<run>.<uid>/`. Its time-series files take framed chunks after the
 * lines layout 1 wrote, which stay readable as they are.
 *
 * Per experiment: the current incarnation's directory is renamed; a directory left by a deleted run
 * (its deleter was killed before removing it) is removed, if it holds only what exprun wrote there.
 * Idempotent: a renamed directory no longer carries a bare run name, so a second pass leaves it alone.
 */
export async function migrateLayout1(root: string): Promise<void> {
  const experiments = path.join(root, "experiments");
  if (!isRealDir(experiments)) return;
  for (const entry of readdirSync(experiments, { withFileTypes: true })) {
    if (entry.isDirectory() && isSafeSegment(entry.name)) {
      await migrateExperiment(path.join(experiments, entry.name));
    }
  }
}

/** Run name → its current incarnation, and every name a run ever had, from `runs.jsonl`. */
function incarnations(log: string): { current: Map<string, string>; names: Set<string> } {
  const current = new Map<string, string>();
  const names = new Set<string>();
  let fd: number;
  try {
    fd = openRegular(log, constants.O_RDONLY);
  } catch (error) {
    if (isMissing(error)) return { current, names };
    throw error instanceof BackendError ? error : fsError("open", log, error);
  }
  const apply = (r: LogRecord) => {
    if (typeof r.run !== "string" || typeof r.uid !== "string") return;
    if (r.op === "create") {
      names.add(r.run);
      if (!current.has(r.run)) current.set(r.run, r.uid);
    } else if (r.op === "delete" && current.get(r.run) === r.uid) {
      current.delete(r.run);
    }
  };
  try {
    // A block at a time: a log of any size (past what one string can hold) migrates.
    readLineBlocks(
      fd,
      0,
      fstatSync(fd).size,
      (text, offset) => parseLines(text, log, offset, apply, () => {}), // bad lines stay: reads report them with their offset
    );
  } catch (error) {
    throw error instanceof BackendError ? error : fsError("read", log, error);
  } finally {
    closeSync(fd);
  }
  return { current, names };
}

async function migrateExperiment(dir: string): Promise<void> {
  const runs = path.join(dir, "runs");
  if (!isRealDir(runs)) return;
  const { current, names } = incarnations(path.join(dir, "runs.jsonl"));
  for (const entry of readdirSync(runs, { withFileTypes: true })) {
    if (!entry.isDirectory() || !names.has(entry.name)) continue; // layout 2's, or not exprun's
    const from = path.join(runs, entry.name);
    const uid = current.get(entry.name);
    if (uid !== undefined) {
      const to = path.join(runs, `${entry.name}.${uid}`);
      if (entryKind(to) !== "missing") continue;
      try {
        await rename(from, to);
      } catch (error) {
        throw fsError("move", from, error);
      }
    } else if (readdirSync(from).every((name) => name === "timeseries.jsonl")) {
      await removeTree(from);
    }
  }
  await syncDir(runs);
}
