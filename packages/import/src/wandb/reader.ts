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
  return {
    kind: "wandb",
    path: resolved,
    runCount: files.length,
    report,
    async *runs() {
      for (const run of files) {
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

async function readRun(
  run: RunFile,
  names: ImportNames,
  report: Report,
  options: WandbOptions,
): Promise<ImportedRun | undefined> {
  const settler = new SeriesSettler(options);
  const st = new Replay();
  let undecodable = 0;
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
        undecodable++;
        continue;
      }
      st.records++;
      apply(decoded, st, settler, report, run.file);
    }
  } catch (error) {
    await settler.close();
    if (error instanceof NotAWandbLogError) {
      report.warn(`${error.message}; file skipped`);
      report.skip("unreadableRuns");
      return undefined;
    }
    throw error;
  }
  if (undecodable > 0) {
    report.skip("undecodableRecords", undecodable);
    report.warn(`${run.file}: ${undecodable} record(s) with a valid CRC are not W&B records; skipped`);
  }
  await fillFromFiles(run.dir, st, report);

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
    name: names.run(experiment.name, runId, sourceName, runId),
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
