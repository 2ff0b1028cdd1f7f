import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type RunState, SCHEMA, type Value } from "@exprun/core";
import { UnsupportedSourceError } from "../errors.js";
import type { ImportedExperiment, ImportedRun, ImportSource } from "../model.js";
import { ImportNames } from "../names.js";
import { Report } from "../report.js";
import { SeriesSettler, type SettleOptions } from "../settle.js";
import { parseYaml } from "../shared/yaml.js";
import { parsePythonJson } from "../values.js";
import { NotAWandbLogError, readWandbLog, WANDB_VERSION } from "./leveldb-log.js";
import { decodeRecord, type WbRecord } from "./proto.js";
import { apply, flatten, Replay, setParam } from "./replay.js";

export interface WandbOptions extends SettleOptions {
  /** Sees each warning as it happens (the CLI prints them). */
  onWarning?: (message: string) => void;
}

/** W&B's project for runs logged without one. */
const DEFAULT_PROJECT = "uncategorized";

interface RunFile {
  /** The run folder (`offline-run-…` or `run-…`), holding `files/`. */
  dir: string;
  file: string;
}

/**
 * Opens W&B runs for import: an offline run folder (`wandb/offline-run-<date>_<time>-<id>`, holding
 * `run-<id>.wandb`), a `wandb` folder of such folders (or the project folder above it), or a
 * `.wandb` file. Throws {@link UnsupportedSourceError} when none is found.
 */
export async function openWandb(source: string, options: WandbOptions = {}): Promise<ImportSource> {
  const resolved = path.resolve(source);
  const files = await findRunFiles(resolved);
  if (files.length === 0) {
    throw new UnsupportedSourceError(
      `${resolved} is not a W&B run. Expected a W&B offline run folder (offline-run-<date>_<time>-<id>, ` +
        "holding run-<id>.wandb), a wandb folder of them, or a .wandb file.",
    );
  }
  const report = new Report(options.onWarning);
  const names = new ImportNames();
  const groups = groupResumed(files);
  return {
    kind: "wandb",
    path: resolved,
    runCount: groups.length,
    report,
    async *runs() {
      for (const run of groups) {
        const imported = await readRun(run, names, report, options);
        if (!imported) continue;
        try {
          yield imported;
        } finally {
          await imported.close();
        }
      }
    },
    async close() {},
  };
}

async function wandbFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".wandb"))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** The `.wandb` files of a run folder, a folder of run folders, or a project folder holding `wandb/`. */
async function findRunFiles(source: string): Promise<RunFile[]> {
  const info = await stat(source).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return source.endsWith(".wandb") ? [{ dir: path.dirname(source), file: source }] : [];
  const direct = await wandbFilesIn(source);
  if (direct.length > 0) return direct.map((file) => ({ dir: source, file }));
  for (const parent of [source, path.join(source, "wandb")]) {
    const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
    const out: RunFile[] = [];
    // Real folders only: `latest-run` is a symlink to one of them.
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const dir = path.join(parent, entry.name);
      for (const file of await wandbFilesIn(dir)) out.push({ dir, file });
    }
    if (out.length > 0) return out;
  }
  return [];
}

/**
 * The run files grouped by run id (`run-<id>.wandb`), each group in time order. W&B writes a new
 * folder each time a run is resumed (`wandb.init(id=…, resume=…)`), and a synced run may sit in both
 * `offline-run-…` and `run-…`: the folders of one id are one run, replayed one after the other.
 * Without the grouping, the second folder of an id was a second run of the same name, which a fresh
 * experiment refused (AlreadyExistsError ended the import) and a re-import flipped back and forth.
 */
function groupResumed(files: RunFile[]): RunFile[][] {
  const stamp = (f: RunFile) => /\d{8}_\d{6}/.exec(path.basename(f.dir))?.[0] ?? "";
  const groups = new Map<string, RunFile[]>();
  for (const file of files) {
    const key = path.basename(file.file);
    const group = groups.get(key);
    if (group) group.push(file);
    else groups.set(key, [file]);
  }
  for (const group of groups.values()) {
    group.sort((a, b) => (stamp(a) < stamp(b) ? -1 : stamp(a) > stamp(b) ? 1 : a.dir < b.dir ? -1 : 1));
  }
  return [...groups.values()];
}

async function readRun(
  group: RunFile[],
  names: ImportNames,
  report: Report,
  options: WandbOptions,
): Promise<ImportedRun | undefined> {
  const settler = new SeriesSettler(options);
  const st = new Replay();
  let undecodable = 0;
  const read: RunFile[] = [];
  let firstStart: number | undefined;
  for (const run of group) {
    // A later folder is a resume: its run record must not move the start, its exit is the run's.
    st.exit = undefined;
    if (!(await replayFile(run, st, settler, report, () => undecodable++))) continue;
    firstStart ??= st.startTime;
    read.push(run);
  }
  if (read.length === 0) {
    await settler.close();
    return undefined;
  }
  st.startTime = firstStart ?? st.startTime;
  if (read.length > 1) {
    report.warn(
      `${read.map((r) => r.file).join(", ")}: one run in ${read.length} folders (W&B writes a new folder when a ` +
        "run is resumed); imported as one run, the folders in time order",
    );
  }
  const run = read.at(-1)!;
  if (undecodable > 0) {
    report.skip("undecodableRecords", undecodable);
    report.warn(`${run.file}: ${undecodable} record(s) with a valid CRC are not W&B records; skipped`);
  }
  // The latest folder's files first: they fill what the logs lack, and the latest is the run's now.
  for (const r of [...read].reverse()) await fillFromFiles(r.dir, st, report);
  return finishRun(run, st, settler, names, report);
}

/** Replays one `.wandb` file into `st`; false when it is not a W&B log (warned and counted). */
async function replayFile(
  run: RunFile,
  st: Replay,
  settler: SeriesSettler,
  report: Report,
  onUndecodable: () => void,
): Promise<boolean> {
  try {
    for await (const record of readWandbLog(run.file, {
      onDamage: (message) => {
        report.skip("damagedRecords");
        report.warn(message);
      },
      onVersion: (version) =>
        report.warn(
          `${run.file}: transaction-log format version ${version} (this reader knows ${WANDB_VERSION}); ` +
            "reading it as version 0 — check the result",
        ),
    })) {
      let decoded: WbRecord;
      try {
        decoded = decodeRecord(record.data);
      } catch {
        onUndecodable();
        continue;
      }
      st.records++;
      apply(decoded, st, settler, report, run.file);
    }
  } catch (error) {
    if (error instanceof NotAWandbLogError) {
      report.warn(`${error.message}; file skipped`);
      report.skip("unreadableRuns");
      return false;
    }
    await settler.close();
    throw error;
  }
  return true;
}

function finishRun(
  run: RunFile,
  st: Replay,
  settler: SeriesSettler,
  names: ImportNames,
  report: Report,
): ImportedRun {
  const runId = st.runId || path.basename(run.file, ".wandb").replace(/^run-/, "");
  const projectName = st.project || DEFAULT_PROJECT;
  const experimentId = `${st.entity}/${projectName}`;
  const experiment: ImportedExperiment = {
    name: names.experiment(experimentId, projectName, `wandb-${projectName}`),
    sourceName: projectName,
    sourceId: experimentId,
    description: "",
  };
  const sourceName = st.displayName || runId;
  // Summary: the last history value of each key (W&B's default summary), then the log's summary updates.
  const metrics: Record<string, Value> = {};
  for (const [key, point] of Object.entries(settler.latest())) metrics[key] = point.value;
  for (const [key, value] of st.summary) {
    if (value === undefined) delete metrics[key];
    else metrics[key] = value;
  }
  for (const [key, value] of st.fileSummary)
    if (!(key in metrics) && !st.summary.has(key)) metrics[key] = value;
  const tags: Record<string, string> = {};
  for (const tag of st.tags) tags[tag] = "";
  Object.assign(tags, st.extraTags);
  let state: RunState = "RUNNING";
  if (!st.exit) {
    report.warn(
      `${run.file}: no exit record (the run crashed, was killed, or is still running); imported as RUNNING`,
    );
  } else if (!st.exit.notComplete) {
    state = st.exit.code === 0 ? "COMPLETE" : "FAILED";
  }
  const createTime = st.startTime;
  const updateTime =
    st.exit && createTime !== undefined && st.exit.runtime > 0
      ? Math.max(createTime + st.exit.runtime * 1000, st.lastWall ?? 0)
      : (st.lastWall ?? createTime);
  return {
    experiment,
    // Keyed by the file's name too: W&B names it run-<id>.wandb (folders of one file name are one run,
    // see groupResumed), so two files that claim one id otherwise (a copy renamed) stay two runs
    // ("-2") instead of overwriting each other on every import.
    name: names.run(experiment.name, `${runId}\u0000${path.basename(run.file)}`, sourceName, runId),
    sourceId: runId,
    sourceName,
    location: run.file,
    state,
    runType: SCHEMA.experimentRun,
    params: Object.fromEntries(st.config),
    metrics,
    tags,
    description: st.notes,
    ...(createTime !== undefined ? { createTime } : {}),
    ...(updateTime !== undefined ? { updateTime } : {}),
    seriesKeys: settler.keys,
    series: () => settler.chunks(),
    close: () => settler.close(),
  };
}

/** `files/config.yaml` and `files/wandb-summary.json` fill keys the log does not have. */
async function fillFromFiles(dir: string, st: Replay, report: Report): Promise<void> {
  const configFile = path.join(dir, "files", "config.yaml");
  const configText = await readFile(configFile, "utf8").catch(() => undefined);
  if (configText !== undefined) {
    try {
      const config = parseYaml(configText) as Record<string, unknown> | null;
      for (const [key, entry] of Object.entries(config ?? {})) {
        if (key === "wandb_version" || key === "_wandb" || st.config.has(key)) continue;
        const value = entry && typeof entry === "object" && "value" in entry ? entry.value : entry;
        if (![...st.config.keys()].some((k) => k.startsWith(`${key}.`))) setParam(st, key, value, report);
      }
    } catch (error) {
      report.warn(`${configFile}: not valid YAML (${(error as Error).message.split("\n")[0]}); not used`);
    }
  }
  const summaryFile = path.join(dir, "files", "wandb-summary.json");
  const summaryText = await readFile(summaryFile, "utf8").catch(() => undefined);
  if (summaryText !== undefined) {
    try {
      const summary = parsePythonJson(summaryText) as Record<string, unknown> | null;
      for (const [key, value] of Object.entries(summary ?? {})) {
        if (key.startsWith("_")) continue;
        for (const [k, v] of flatten(key, value)) {
          if (typeof v === "number" || typeof v === "string" || typeof v === "boolean")
            st.fileSummary.set(k, v);
        }
      }
    } catch (error) {
      report.warn(`${summaryFile}: not valid JSON (${(error as Error).message}); not used`);
    }
  }
}
