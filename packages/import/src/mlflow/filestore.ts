import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { SCHEMA, type Value } from "@exprun/core";
import { UnsupportedSourceError } from "../errors.js";
import type { ImportedExperiment, ImportedRun, ImportSource } from "../model.js";
import { ImportNames } from "../names.js";
import { Report } from "../report.js";
import { SeriesSettler } from "../settle.js";
import { readLines } from "../shared/lines.js";
import { parseYaml } from "../shared/yaml.js";
import { parsePythonFloat } from "../values.js";
import { isTimeMs, msOf, NOTE_TAG, paramsOf, runDisplayName, splitNote, stateOf } from "./mapping.js";
import type { MlflowOptions } from "./options.js";

const TRASH = ".trash";
/** Metric files up to this size are read whole; larger ones line by line (bounded memory). */
const STREAM_METRICS_ABOVE = 4 << 20;

function listDir(dir: string | undefined): Dirent[] {
  if (dir === undefined) return [];
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
/** Folders of an experiment that are not runs (MLflow's reserved names; `models` holds 3.x logged models). */
const NOT_RUNS: Record<string, string> = {
  tags: "",
  datasets: "datasets",
  traces: "traces",
  models: "loggedModels",
};

type Yaml = Record<string, unknown>;

interface ExperimentDir {
  dir: string;
  meta: Yaml;
  deleted: boolean;
  /** The experiment id (see {@link idOf}). */
  id: string;
}

interface RunDir {
  dir: string;
  meta: Yaml;
  runId: string;
  experiment: ImportedExperiment;
}

/** Whether `dir` looks like an MLflow FileStore root: an experiment folder with a meta.yaml, or `.trash`. */
export async function isMlrunsDir(dir: string): Promise<boolean> {
  for (const entry of listDir(dir)) {
    if (!entry.isDirectory()) continue;
    if (entry.name === TRASH) return true;
    const meta = await readYaml(path.join(dir, entry.name, "meta.yaml")).catch(() => undefined);
    if (meta && "experiment_id" in meta) return true;
  }
  return false;
}

/**
 * Opens an MLflow FileStore (`mlruns/`, MLflow 1.x, 2.x and 3.x layouts). Experiment and run
 * meta.yaml files are read first (to name runs in a stable order); params, tags and metrics are
 * read run by run as the runs are iterated.
 */
export async function openMlflowFileStore(root: string, options: MlflowOptions = {}): Promise<ImportSource> {
  if (!(await isMlrunsDir(root))) {
    throw new UnsupportedSourceError(
      `${root} is not an MLflow store. Expected an mlruns folder (experiment folders with a meta.yaml, ` +
        "as MLflow's FileStore writes them) or an mlflow.db file.",
    );
  }
  const report = new Report(options.onWarning);
  const names = new ImportNames();
  const experiments = await listExperiments(root, report, options);
  const runs: RunDir[] = [];
  for (const exp of experiments) {
    const experiment = await experimentOf(exp, names, report);
    const found = await listRuns(exp, experiment, report, options);
    runs.push(...found);
  }
  return {
    kind: "mlflow",
    path: root,
    runCount: runs.length,
    report,
    async *runs() {
      for (const run of runs) {
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

/**
 * The FileStore is thousands of tiny files (12,000 for 1,000 runs). They are read with synchronous
 * calls: one thread-pool round trip per open/stat/read/close made a 1,000-run import take 12 s on
 * this machine, against ~1 s this way. Metric files over {@link STREAM_METRICS_ABOVE} are streamed.
 */
async function readYaml(file: string): Promise<Yaml | undefined> {
  const value: unknown = parseYaml(readFileSync(file, "utf8"));
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Yaml) : undefined;
}

/** Experiment folders in id order; deleted ones only with `includeDeleted` (else counted). */
async function listExperiments(
  root: string,
  report: Report,
  options: MlflowOptions,
): Promise<ExperimentDir[]> {
  const out: ExperimentDir[] = [];
  const scan = async (parent: string, inTrash: boolean) => {
    for (const entry of listDir(parent)
      .filter((e) => e.isDirectory())
      .sort(byName)) {
      if (!inTrash && entry.name === TRASH) continue;
      const dir = path.join(parent, entry.name);
      if (!inTrash && entry.name === "models") {
        // Registered models (the model registry's FileStore) live beside experiments.
        report.skip("registeredModels", countDirs(dir));
        continue;
      }
      const metaFile = path.join(dir, "meta.yaml");
      let meta: Yaml | undefined;
      try {
        meta = await readYaml(metaFile);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // not an experiment folder
        report.warn(
          `${metaFile}: not valid YAML (${(error as Error).message.split("\n")[0]}); experiment skipped`,
        );
        report.skip("unreadableExperiments");
        continue;
      }
      if (!meta || !("experiment_id" in meta)) {
        report.warn(
          `${metaFile}: empty or without experiment_id (MLflow may have been writing it); experiment skipped`,
        );
        report.skip("unreadableExperiments");
        continue;
      }
      const deleted = inTrash || meta.lifecycle_stage === "deleted";
      if (deleted && !options.includeDeleted) {
        report.skip("deletedExperiments");
        continue;
      }
      out.push({ dir, meta, deleted, id: idOf(meta.experiment_id, entry.name) });
    }
  };
  await scan(root, false);
  await scan(path.join(root, TRASH), true);
  return out.sort((a, b) => compareIds(a.id, b.id));
}

/**
 * An id from a meta.yaml. MLflow writes ids as quoted text (`experiment_id: '0'`); written unquoted, an
 * id that looks like a number is read as one and may be altered (`0000…00e0` is 0, 18-digit ids lose
 * their last digits past 2^53), so the folder name — MLflow names the folder after the id — is used.
 */
function idOf(value: unknown, folder: string): string {
  return typeof value === "string" ? value : folder;
}

/** Whether a meta.yaml id (text, or a number when written unquoted) is `id`. */
function sameId(value: unknown, id: string): boolean {
  return typeof value === "string" ? value === id : typeof value === "number" && Number(id) === value;
}

async function experimentOf(
  exp: ExperimentDir,
  names: ImportNames,
  report: Report,
): Promise<ImportedExperiment> {
  const id = exp.id;
  const sourceName = typeof exp.meta.name === "string" ? exp.meta.name : "";
  const tags = readTree(path.join(exp.dir, "tags"));
  const { [NOTE_TAG]: description = "", ...others } = tags;
  report.skip("experimentTags", Object.keys(others).length);
  return { name: names.experiment(id, sourceName, `mlflow-${id}`), sourceName, sourceId: id, description };
}

/** Run folders of an experiment, in (start time, run id) order; deleted runs only with `includeDeleted`. */
async function listRuns(
  exp: ExperimentDir,
  experiment: ImportedExperiment,
  report: Report,
  options: MlflowOptions,
): Promise<RunDir[]> {
  const out: RunDir[] = [];
  for (const entry of listDir(exp.dir)
    .filter((e) => e.isDirectory())
    .sort(byName)) {
    const dir = path.join(exp.dir, entry.name);
    const reserved = NOT_RUNS[entry.name];
    if (reserved !== undefined) {
      if (reserved) report.skip(reserved, countDirs(dir));
      continue;
    }
    const metaFile = path.join(dir, "meta.yaml");
    let meta: Yaml | undefined;
    try {
      meta = await readYaml(metaFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // not a run folder
      report.warn(`${metaFile}: not valid YAML (${(error as Error).message.split("\n")[0]}); run skipped`);
      report.skip("unreadableRuns");
      continue;
    }
    const raw = meta?.run_id ?? meta?.run_uuid;
    const runId = raw === undefined || raw === null || raw === "" ? "" : idOf(raw, entry.name);
    if (!meta || runId === "") {
      report.warn(`${metaFile}: empty or without run_id (MLflow may have been writing it); run skipped`);
      report.skip("unreadableRuns");
      continue;
    }
    if (!sameId(meta.experiment_id, experiment.sourceId)) {
      report.warn(
        `${metaFile}: run ${runId} names experiment ${String(meta.experiment_id)} but sits in ${experiment.sourceId}; ` +
          "run skipped (as MLflow does)",
      );
      report.skip("misplacedRuns");
      continue;
    }
    if ((exp.deleted || meta.lifecycle_stage === "deleted") && !options.includeDeleted) {
      report.skip("deletedRuns");
      continue;
    }
    out.push({ dir, meta, runId, experiment });
  }
  return out.sort(
    (a, b) => (msOf(a.meta.start_time) ?? 0) - (msOf(b.meta.start_time) ?? 0) || compareIds(a.runId, b.runId),
  );
}

async function readRun(
  run: RunDir,
  names: ImportNames,
  report: Report,
  options: MlflowOptions,
): Promise<ImportedRun | undefined> {
  const state = stateOf(run.meta.status);
  if (!state) {
    report.warn(`${path.join(run.dir, "meta.yaml")}: unknown status ${String(run.meta.status)}; run skipped`);
    report.skip("unreadableRuns");
    return undefined;
  }
  // One listing of the run folder, so absent sub-folders (inputs/, outputs/, …) cost no failed calls.
  const present = new Set(
    listDir(run.dir)
      .filter((e) => e.isDirectory())
      .map((e) => e.name),
  );
  const sub = (name: string) => (present.has(name) ? path.join(run.dir, name) : undefined);
  const rawTags = readTree(sub("tags"));
  const { tags, note } = splitNote(rawTags);
  const params = paramsOf(readTree(sub("params")), options.inferParamTypes ?? true);
  report.skip("artifacts", listDir(sub("artifacts")).length);
  report.skip("runInputs", listDir(sub("inputs")).length);
  report.skip("runOutputs", listDir(sub("outputs")).length);
  const settler = new SeriesSettler(options);
  let lastTimestamp: number | undefined;
  try {
    const metricsDir = sub("metrics");
    for (const key of treeKeys(metricsDir)) {
      const last = await readMetricFile(path.join(metricsDir!, ...key.split("/")), key, settler, report);
      if (last !== undefined && (lastTimestamp === undefined || last > lastTimestamp)) lastTimestamp = last;
    }
  } catch (error) {
    await settler.close();
    throw error;
  }
  const metrics: Record<string, Value> = {};
  for (const [key, point] of Object.entries(settler.latest())) metrics[key] = point.value;
  const sourceName = runDisplayName(run.meta.run_name, rawTags, run.meta.name, run.runId);
  const timeOf = (field: "start_time" | "end_time"): number | undefined => {
    const raw = run.meta[field];
    const ms = msOf(raw);
    if (ms === undefined && raw !== undefined && raw !== null && raw !== "" && raw !== 0) {
      report.warn(
        `${path.join(run.dir, "meta.yaml")}: ${field} ${String(raw)} is not a time in milliseconds since the epoch; ignored`,
      );
      report.skip("invalidTimes");
    }
    return ms;
  };
  const createTime = timeOf("start_time");
  const updateTime = timeOf("end_time") ?? lastTimestamp ?? createTime;
  return {
    experiment: run.experiment,
    name: names.run(run.experiment.name, run.runId, sourceName, run.runId),
    sourceId: run.runId,
    sourceName,
    location: run.dir,
    state,
    runType: SCHEMA.experimentRun,
    params,
    metrics,
    tags,
    description: note,
    ...(createTime !== undefined ? { createTime } : {}),
    ...(updateTime !== undefined ? { updateTime } : {}),
    seriesKeys: settler.keys,
    series: () => settler.chunks(),
    close: () => settler.close(),
  };
}

/**
 * Reads one metric file (`<timestamp_ms> <value> <step>` lines, or two fields meaning step 0) into
 * the settler; returns the largest timestamp. Lines that do not parse are counted and reported once.
 */
async function readMetricFile(
  file: string,
  key: string,
  settler: SeriesSettler,
  report: Report,
): Promise<number | undefined> {
  let lineNo = 0;
  let bad = 0;
  let firstBad = 0;
  let negative = 0;
  let badTime = 0;
  let last: number | undefined;
  for await (const line of metricLines(file)) {
    lineNo++;
    const parts = splitFields(line);
    if (parts.length === 0) continue;
    const timestamp = parts.length === 2 || parts.length === 3 ? Number(parts[0]) : Number.NaN;
    const value = parsePythonFloat(parts[1] ?? "");
    const step = parts.length === 3 ? Number(parts[2]) : 0;
    if (!Number.isFinite(timestamp) || value === undefined || !Number.isSafeInteger(step)) {
      bad++;
      firstBad ||= lineNo;
      continue;
    }
    if (step < 0) {
      negative++;
      continue;
    }
    if (!isTimeMs(timestamp)) {
      badTime++;
      continue;
    }
    settler.add(key, step, timestamp, value);
    if (last === undefined || timestamp > last) last = timestamp;
  }
  if (bad > 0) {
    report.skip("malformedMetricLines", bad);
    report.warn(
      `${file}: ${bad} line(s) are not "<timestamp> <value> [<step>]" (first: line ${firstBad}); skipped`,
    );
  }
  if (negative > 0) {
    report.skip("invalidSteps", negative);
    report.warn(
      `${file}: ${negative} point(s) with a negative step skipped (exprun steps are non-negative integers)`,
    );
  }
  if (badTime > 0) {
    report.skip("invalidTimes", badTime);
    report.warn(
      `${file}: ${badTime} point(s) with a timestamp that is not milliseconds since the epoch skipped`,
    );
  }
  return last;
}

/** The space-separated fields of a metric line (MLflow writes single spaces; any whitespace is accepted). */
function splitFields(line: string): string[] {
  const trimmed = line.trim();
  if (trimmed === "") return [];
  // Fast path for what MLflow writes; anything else (tabs, double spaces) takes the regex.
  if (trimmed.indexOf("  ") < 0 && trimmed.indexOf("\t") < 0) return trimmed.split(" ");
  return trimmed.split(/\s+/);
}

/** A metric file's lines: read whole when small, streamed when large. */
function metricLines(file: string): Iterable<string> | AsyncIterable<string> {
  if (statSync(file).size > STREAM_METRICS_ABOVE) return readLines(file);
  return readFileSync(file, "utf8").split("\n");
}

/** Keys of a params/tags/metrics folder: file paths relative to it, `/`-separated (MLflow keys may hold `/`). */
function treeKeys(dir: string | undefined): string[] {
  const out: string[] = [];
  const walk = (sub: string, prefix: string) => {
    for (const entry of listDir(sub).sort(byName)) {
      if (entry.isDirectory()) walk(path.join(sub, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile()) out.push(`${prefix}${entry.name}`);
    }
  };
  if (dir !== undefined) walk(dir, "");
  return out;
}

/** A params or tags folder as key → file content (MLflow writes the value as is, no newline). */
function readTree(dir: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of treeKeys(dir)) out[key] = readFileSync(path.join(dir!, ...key.split("/")), "utf8");
  return out;
}

function countDirs(dir: string): number {
  return listDir(dir).filter((e) => e.isDirectory()).length;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Numeric ids in numeric order ("2" before "10"), others by text. */
function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
