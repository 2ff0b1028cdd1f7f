import { readFile } from "node:fs/promises";
import { SCHEMA, type Value } from "@exprun/core";
import type initSqlJs from "sql.js";
import { UnsupportedSourceError } from "../errors.js";
import type { ImportedExperiment, ImportedRun, ImportSource } from "../model.js";
import { ImportNames } from "../names.js";
import { Report } from "../report.js";
import { SeriesSettler } from "../settle.js";
import { isTimeMs, msOf, NOTE_TAG, paramsOf, runDisplayName, splitNote, stateOf } from "./mapping.js";
import type { MlflowOptions } from "./options.js";

type Database = initSqlJs.Database;
type SqlValue = initSqlJs.SqlValue;

/** MLflow's SQL store keeps ±Infinity as ±max float64 (SQL has no infinities); they are read back as ±Infinity. */
const MAX_FLOAT = 1.7976931348623157e308;

let sqlJs: Promise<initSqlJs.SqlJsStatic> | undefined;

/** The first 16 bytes of every SQLite database file. */
const SQLITE_MAGIC = "SQLite format 3\u0000";

/** Whether `file` starts like a SQLite database. */
export async function isSqliteFile(file: string): Promise<boolean> {
  const { open } = await import("node:fs/promises");
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return false;
  try {
    const head = new Uint8Array(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    return bytesRead === 16 && new TextDecoder().decode(head) === SQLITE_MAGIC;
  } finally {
    await handle.close();
  }
}

/**
 * Opens MLflow's SQLite store (`mlflow.db`, the default since MLflow 3.7) with sql.js, SQLite
 * compiled to WebAssembly (no native build). sql.js works on a copy of the whole database in memory,
 * so opening it needs about the file's size in RAM; rows are then streamed with prepared statements,
 * one run at a time. The file is only read.
 */
export async function openMlflowDatabase(file: string, options: MlflowOptions = {}): Promise<ImportSource> {
  if (!(await isSqliteFile(file))) {
    throw new UnsupportedSourceError(
      `${file} is not a SQLite database. Expected an MLflow store: an mlflow.db file (MLflow's SQLite store) or an mlruns folder.`,
    );
  }
  // Loaded only for an mlflow.db (the WebAssembly module is the largest thing the importers load).
  sqlJs ??= import("sql.js").then(({ default: init }) => init());
  const SQL = await sqlJs;
  let db: Database | undefined;
  try {
    db = new SQL.Database(await readFile(file));
    return await sourceOf(db, file, options);
  } catch (error) {
    db?.close();
    throw damaged(file, error, "opening it");
  }
}

/**
 * SQLite's own errors (a damaged or partly copied database: "file is not a database", "database disk
 * image is malformed") as an error naming the file; sql.js throws them as plain `Error`s, which the
 * CLI would report as unexpected. Errors of exprun's own (already typed) pass through.
 */
function damaged(file: string, error: unknown, doing: string): unknown {
  if (!(error instanceof Error) || error.constructor !== Error) return error;
  return new UnsupportedSourceError(
    `${file}: SQLite could not read it while ${doing} (${error.message}). Expected a whole, undamaged ` +
      "mlflow.db (copy it again, or open it with `sqlite3 mlflow.db .recover`).",
  );
}

function tablesOf(db: Database): Set<string> {
  const out = new Set<string>();
  for (const row of rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")) out.add(String(row[0]));
  return out;
}

function columnsOf(db: Database, table: string): Set<string> {
  const out = new Set<string>();
  for (const row of rows(db, `PRAGMA table_info(${table})`)) out.add(String(row[1]));
  return out;
}

/** Rows of a query, one at a time from a prepared statement. */
function* rows(db: Database, sql: string, params: SqlValue[] = []): Generator<SqlValue[]> {
  const statement = db.prepare(sql);
  try {
    statement.bind(params);
    while (statement.step()) yield statement.get();
  } finally {
    statement.free();
  }
}

function count(db: Database, tables: Set<string>, table: string): number {
  if (!tables.has(table)) return 0;
  for (const row of rows(db, `SELECT COUNT(*) FROM ${table}`)) return Number(row[0]);
  return 0;
}

interface RunRow {
  runId: string;
  name: SqlValue;
  status: SqlValue;
  startTime: SqlValue;
  endTime: SqlValue;
  experiment: ImportedExperiment;
}

async function sourceOf(db: Database, file: string, options: MlflowOptions): Promise<ImportSource> {
  const tables = tablesOf(db);
  for (const table of ["experiments", "runs", "metrics", "params", "tags"]) {
    if (!tables.has(table)) {
      throw new UnsupportedSourceError(
        `${file} is a SQLite database without MLflow's "${table}" table. Expected an MLflow tracking store ` +
          "(mlflow.db, as `mlflow server --backend-store-uri sqlite:///mlflow.db` writes it) or an mlruns folder.",
      );
    }
  }
  const report = new Report(options.onWarning);
  const names = new ImportNames();
  const includeDeleted = options.includeDeleted ?? false;
  report.skip("registeredModels", count(db, tables, "registered_models"));
  report.skip("loggedModels", count(db, tables, "logged_models"));
  report.skip("traces", count(db, tables, "trace_info"));
  report.skip("datasets", count(db, tables, "datasets"));

  const experiments = new Map<string, ImportedExperiment>();
  const deletedExperiments = new Set<string>();
  const hasExperimentTags = tables.has("experiment_tags");
  for (const [id, name, stage] of rows(
    db,
    "SELECT experiment_id, name, lifecycle_stage FROM experiments ORDER BY experiment_id",
  )) {
    const sourceId = String(id);
    if (stage === "deleted" && !includeDeleted) {
      report.skip("deletedExperiments");
      deletedExperiments.add(sourceId);
      continue;
    }
    let description = "";
    if (hasExperimentTags) {
      for (const [key, value] of rows(db, "SELECT key, value FROM experiment_tags WHERE experiment_id = ?", [
        id!,
      ])) {
        if (key === NOTE_TAG) description = String(value ?? "");
        else report.skip("experimentTags");
      }
    }
    const sourceName = String(name ?? "");
    experiments.set(sourceId, {
      name: names.experiment(sourceId, sourceName, `mlflow-${sourceId}`),
      sourceName,
      sourceId,
      description,
    });
  }

  const runColumns = columnsOf(db, "runs");
  const nameColumn = runColumns.has("name") ? "name" : "NULL";
  const runs: RunRow[] = [];
  for (const [runId, name, status, start, end, stage, experimentId] of rows(
    db,
    `SELECT run_uuid, ${nameColumn}, status, start_time, end_time, lifecycle_stage, experiment_id FROM runs ` +
      "ORDER BY experiment_id, start_time, run_uuid",
  )) {
    const experiment = experiments.get(String(experimentId));
    if (!experiment) {
      if (!deletedExperiments.has(String(experimentId))) {
        report.warn(
          `${file}: run ${String(runId)} names experiment ${String(experimentId)}, which does not exist; run skipped`,
        );
        report.skip("orphanRuns");
      }
      continue;
    }
    if (stage === "deleted" && !includeDeleted) {
      report.skip("deletedRuns");
      continue;
    }
    runs.push({
      runId: String(runId),
      name: name ?? null,
      status: status ?? null,
      startTime: start ?? null,
      endTime: end ?? null,
      experiment,
    });
  }
  const inputs = tables.has("inputs") ? "SELECT COUNT(*) FROM inputs WHERE destination_id = ?" : undefined;

  let closed = false;
  return {
    kind: "mlflow",
    path: file,
    runCount: runs.length,
    report,
    async *runs() {
      for (const run of runs) {
        let imported: ImportedRun | undefined;
        try {
          imported = readRun(db, file, run, names, report, options, inputs);
        } catch (error) {
          throw damaged(file, error, `reading run ${run.runId}`);
        }
        if (!imported) continue;
        try {
          yield imported;
        } finally {
          await imported.close();
        }
      }
    },
    async close() {
      if (!closed) db.close();
      closed = true;
    },
  };
}

function readRun(
  db: Database,
  file: string,
  run: RunRow,
  names: ImportNames,
  report: Report,
  options: MlflowOptions,
  inputsQuery: string | undefined,
): ImportedRun | undefined {
  const location = `${file}#${run.runId}`;
  const state = stateOf(run.status);
  if (!state) {
    report.warn(`mlflow.db run ${run.runId}: unknown status ${String(run.status)}; run skipped`);
    report.skip("unreadableRuns");
    return undefined;
  }
  const rawTags: Record<string, string> = {};
  for (const [key, value] of rows(db, "SELECT key, value FROM tags WHERE run_uuid = ?", [run.runId])) {
    rawTags[String(key)] = value === null ? "" : String(value);
  }
  const rawParams: Record<string, string> = {};
  for (const [key, value] of rows(db, "SELECT key, value FROM params WHERE run_uuid = ?", [run.runId])) {
    rawParams[String(key)] = value === null ? "" : String(value);
  }
  if (inputsQuery) for (const [n] of rows(db, inputsQuery, [run.runId])) report.skip("runInputs", Number(n));
  const settler = new SeriesSettler(options);
  let negative = 0;
  let badTime = 0;
  let lastTimestamp: number | undefined;
  // Insertion order (rowid) is the "line order" that breaks ties between points of one step and time.
  for (const [key, value, timestamp, step, isNan] of rows(
    db,
    "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? ORDER BY rowid",
    [run.runId],
  )) {
    const s = Number(step ?? 0);
    const t = Number(timestamp ?? 0);
    if (!Number.isSafeInteger(s) || s < 0) {
      negative++;
      continue;
    }
    if (!isTimeMs(t)) {
      badTime++;
      continue;
    }
    let v = Number(value);
    if (isNan === 1) v = Number.NaN;
    else if (v === MAX_FLOAT) v = Number.POSITIVE_INFINITY;
    else if (v === -MAX_FLOAT) v = Number.NEGATIVE_INFINITY;
    settler.add(String(key), s, t, v);
    if (lastTimestamp === undefined || t > lastTimestamp) lastTimestamp = t;
  }
  if (negative > 0) {
    report.skip("invalidSteps", negative);
    report.warn(`mlflow.db run ${run.runId}: ${negative} point(s) with a negative step skipped`);
  }
  if (badTime > 0) {
    report.skip("invalidTimes", badTime);
    report.warn(
      `${file}: run ${run.runId}: ${badTime} point(s) with a timestamp that is not milliseconds since the epoch skipped`,
    );
  }
  const { tags, note } = splitNote(rawTags);
  const metrics: Record<string, Value> = {};
  for (const [key, point] of Object.entries(settler.latest())) metrics[key] = point.value;
  const sourceName = runDisplayName(run.name, rawTags, undefined, run.runId);
  const timeOf = (field: string, raw: unknown): number | undefined => {
    const ms = msOf(raw);
    if (ms === undefined && raw !== undefined && raw !== null && raw !== "" && raw !== 0) {
      report.warn(
        `${file}: run ${run.runId}: ${field} ${String(raw)} is not a time in milliseconds since the epoch; ignored`,
      );
      report.skip("invalidTimes");
    }
    return ms;
  };
  const createTime = timeOf("start_time", run.startTime);
  const updateTime = timeOf("end_time", run.endTime) ?? lastTimestamp ?? createTime;
  return {
    experiment: run.experiment,
    name: names.run(run.experiment.name, run.runId, sourceName, run.runId),
    sourceId: run.runId,
    sourceName,
    location,
    state,
    runType: SCHEMA.experimentRun,
    params: paramsOf(rawParams, options.inferParamTypes ?? true),
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
