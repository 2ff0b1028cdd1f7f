import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import initSqlJs from "sql.js";

/**
 * Writes MLflow stores from the format description (IMPORT-FORMATS.md, MLflow's FileStore and
 * SQLAlchemy store): `mlruns/` folders in the 1.x, 2.x and 3.x layouts, and `mlflow.db` files with
 * MLflow's tables, through sql.js.
 */

export interface GenRun {
  id: string;
  /** `run_name` (2.x+); also written as the `mlflow.runName` tag unless `legacy`. */
  name?: string;
  /** MLflow 1.x: `name: ''`, no `run_name`, no run-name tag. */
  legacy?: boolean;
  /** 1 RUNNING, 2 SCHEDULED, 3 FINISHED, 4 FAILED, 5 KILLED. */
  status?: number;
  start?: number;
  end?: number | null;
  deleted?: boolean;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** Metric key → lines as MLflow writes them ("<timestamp> <value> <step>"). */
  metrics?: Record<string, string[]>;
  artifacts?: string[];
}

export interface GenExperiment {
  id: string;
  name: string;
  /** MLflow 1.x: no creation/update times. */
  legacy?: boolean;
  deleted?: boolean;
  tags?: Record<string, string>;
  runs: GenRun[];
  /** MLflow 3.x: logged models under `models/m-<hex>/`. */
  loggedModels?: number;
  traces?: number;
  datasets?: number;
}

const STATUS_NAMES = ["", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

function yamlLines(entries: [string, string | number | null][]): string {
  return `${entries
    .map(([k, v]) => `${k}: ${v === null ? "null" : typeof v === "number" ? v : v === "" ? "''" : v}`)
    .join("\n")}\n`;
}

function writeTree(dir: string, values: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    const file = path.join(dir, ...key.split("/"));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, value);
  }
}

/** Writes an `mlruns` folder (and `.trash` for deleted experiments). */
export function writeMlruns(
  root: string,
  experiments: GenExperiment[],
  options: { registeredModels?: number } = {},
): void {
  mkdirSync(path.join(root, ".trash"), { recursive: true });
  for (const exp of experiments) {
    const dir = path.join(root, exp.deleted ? ".trash" : "", exp.id);
    mkdirSync(dir, { recursive: true });
    const meta: [string, string | number | null][] = [
      ["artifact_location", `file://${dir}`],
      ["experiment_id", `'${exp.id}'`],
      ["lifecycle_stage", exp.deleted ? "deleted" : "active"],
      ["name", exp.name],
    ];
    if (!exp.legacy) meta.push(["creation_time", 1_690_000_000_000], ["last_update_time", 1_690_000_000_000]);
    writeFileSync(path.join(dir, "meta.yaml"), yamlLines(meta));
    if (exp.tags) writeTree(path.join(dir, "tags"), exp.tags);
    for (let i = 0; i < (exp.loggedModels ?? 0); i++) {
      const model = path.join(dir, "models", `m-${i.toString(16).padStart(32, "0")}`);
      mkdirSync(path.join(model, "metrics"), { recursive: true });
      writeFileSync(
        path.join(model, "meta.yaml"),
        yamlLines([
          ["experiment_id", `'${exp.id}'`],
          ["model_id", `m-${i}`],
          ["name", "model"],
          ["source_run_id", exp.runs[0]?.id ?? ""],
        ]),
      );
      writeFileSync(path.join(model, "metrics", "accuracy"), "1690000000000 0.9 0\n");
    }
    for (let i = 0; i < (exp.traces ?? 0); i++) {
      const trace = path.join(dir, "traces", `tr-${i}`);
      mkdirSync(trace, { recursive: true });
      writeFileSync(path.join(trace, "trace_info.yaml"), yamlLines([["request_id", `tr-${i}`]]));
    }
    for (let i = 0; i < (exp.datasets ?? 0); i++) {
      const dataset = path.join(dir, "datasets", `d${i}`);
      mkdirSync(dataset, { recursive: true });
      writeFileSync(path.join(dataset, "meta.yaml"), yamlLines([["name", `dataset-${i}`]]));
    }
    for (const run of exp.runs) writeRun(dir, exp, run);
  }
  if (options.registeredModels) {
    for (let i = 0; i < options.registeredModels; i++) {
      const model = path.join(root, "models", `model-${i}`);
      mkdirSync(model, { recursive: true });
      writeFileSync(path.join(model, "meta.yaml"), yamlLines([["name", `model-${i}`]]));
    }
  }
}

function writeRun(expDir: string, exp: GenExperiment, run: GenRun): void {
  const dir = path.join(expDir, run.id);
  mkdirSync(path.join(dir, "metrics"), { recursive: true });
  mkdirSync(path.join(dir, "params"), { recursive: true });
  mkdirSync(path.join(dir, "artifacts"), { recursive: true });
  const start = run.start ?? 1_690_000_000_000;
  const meta: [string, string | number | null][] = [
    ["artifact_uri", `file://${dir}/artifacts`],
    ["end_time", run.end === undefined ? start + 1000 : run.end],
    ["entry_point_name", ""],
    ["experiment_id", `'${exp.id}'`],
    ["lifecycle_stage", run.deleted || exp.deleted ? "deleted" : "active"],
    ["run_id", run.id],
    ["run_uuid", run.id],
    ["source_name", ""],
    ["source_type", 4],
    ["source_version", ""],
    ["start_time", start],
    ["status", run.status ?? 3],
    ["tags", "[]"],
    ["user_id", "tester"],
  ];
  if (run.legacy) meta.push(["name", ""]);
  else meta.push(["run_name", run.name ?? ""]);
  if (run.deleted) meta.push(["deleted_time", start + 5000]);
  writeFileSync(path.join(dir, "meta.yaml"), yamlLines(meta));
  const tags = { ...(run.tags ?? {}) };
  if (!run.legacy && run.name) tags["mlflow.runName"] = run.name;
  writeTree(path.join(dir, "tags"), tags);
  writeTree(path.join(dir, "params"), run.params ?? {});
  for (const [key, lines] of Object.entries(run.metrics ?? {})) {
    const file = path.join(dir, "metrics", ...key.split("/"));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, lines.map((l) => `${l}\n`).join(""));
  }
  for (const artifact of run.artifacts ?? []) writeFileSync(path.join(dir, "artifacts", artifact), "x");
}

/** MLflow's SQLAlchemy store tables (the columns the alembic head creates that the importer reads, and a few it skips). */
const SCHEMA_SQL = `
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE experiments (
  experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256),
  lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT,
  CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name),
  CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')));
CREATE TABLE experiment_tags (
  key VARCHAR(250) NOT NULL, value VARCHAR(5000), experiment_id INTEGER NOT NULL,
  CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE runs (
  run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250), source_type VARCHAR(20), source_name VARCHAR(500),
  entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT,
  source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER,
  deleted_time BIGINT,
  CONSTRAINT run_pk PRIMARY KEY (run_uuid),
  CONSTRAINT status CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')),
  CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE metrics (
  key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL,
  CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), CHECK (is_nan IN (0, 1)));
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE TABLE latest_metrics (
  key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT, step BIGINT NOT NULL,
  is_nan BOOLEAN NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE params (
  key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT param_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE tags (
  key VARCHAR(250) NOT NULL, value VARCHAR(8000), run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE datasets (
  dataset_uuid VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL,
  digest VARCHAR(36) NOT NULL, dataset_source_type VARCHAR(36) NOT NULL, dataset_source TEXT NOT NULL,
  dataset_schema TEXT, dataset_profile TEXT, CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest));
CREATE TABLE inputs (
  input_uuid VARCHAR(36) NOT NULL, source_type VARCHAR(36) NOT NULL, source_id VARCHAR(36) NOT NULL,
  destination_type VARCHAR(36) NOT NULL, destination_id VARCHAR(36) NOT NULL,
  CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id));
CREATE TABLE registered_models (
  name VARCHAR(256) NOT NULL, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000),
  CONSTRAINT registered_model_pk PRIMARY KEY (name));
CREATE TABLE logged_models (
  model_id VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL,
  artifact_location VARCHAR(1000) NOT NULL, creation_timestamp_ms BIGINT NOT NULL,
  last_updated_timestamp_ms BIGINT NOT NULL, status INTEGER NOT NULL, lifecycle_stage VARCHAR(32),
  CONSTRAINT logged_models_pk PRIMARY KEY (model_id));
CREATE TABLE trace_info (
  request_id VARCHAR(50) NOT NULL, experiment_id INTEGER NOT NULL, timestamp_ms BIGINT NOT NULL,
  execution_time_ms BIGINT, status VARCHAR(50) NOT NULL, CONSTRAINT trace_info_pk PRIMARY KEY (request_id));
INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1');
`;

/** One metric point for the database: MLflow keeps NaN as value 0 + is_nan, ±Infinity as ±max float. */
export interface DbPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** Writes an `mlflow.db` with the experiments and runs given (metrics as points, not lines). */
export async function writeMlflowDb(
  file: string,
  experiments: (Omit<GenExperiment, "runs"> & {
    runs: (Omit<GenRun, "metrics"> & { points?: DbPoint[]; inputs?: number })[];
  })[],
  options: { registeredModels?: number } = {},
): Promise<void> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(SCHEMA_SQL);
  for (const exp of experiments) {
    db.run("INSERT INTO experiments VALUES (?, ?, ?, ?, ?, ?)", [
      Number(exp.id),
      exp.name,
      `file:///mlartifacts/${exp.id}`,
      exp.deleted ? "deleted" : "active",
      1_690_000_000_000,
      1_690_000_000_000,
    ]);
    for (const [key, value] of Object.entries(exp.tags ?? {})) {
      db.run("INSERT INTO experiment_tags VALUES (?, ?, ?)", [key, value, Number(exp.id)]);
    }
    for (let i = 0; i < (exp.loggedModels ?? 0); i++) {
      db.run("INSERT INTO logged_models VALUES (?, ?, 'model', '/x', 1, 1, 1, 'active')", [
        `m-${exp.id}-${i}`,
        Number(exp.id),
      ]);
    }
    for (let i = 0; i < (exp.traces ?? 0); i++) {
      db.run("INSERT INTO trace_info VALUES (?, ?, 1, 1, 'OK')", [`tr-${exp.id}-${i}`, Number(exp.id)]);
    }
    for (const run of exp.runs) {
      const start = run.start ?? 1_690_000_000_000;
      db.run("INSERT INTO runs VALUES (?, ?, 'LOCAL', '', '', 'tester', ?, ?, ?, '', ?, ?, ?, ?)", [
        run.id,
        run.legacy ? null : (run.name ?? null),
        STATUS_NAMES[run.status ?? 3]!,
        start,
        run.end === undefined ? start + 1000 : run.end,
        run.deleted || exp.deleted ? "deleted" : "active",
        `file:///mlartifacts/${exp.id}/${run.id}/artifacts`,
        Number(exp.id),
        run.deleted ? start + 5000 : null,
      ]);
      const tags = { ...(run.tags ?? {}) };
      if (!run.legacy && run.name) tags["mlflow.runName"] = run.name;
      for (const [key, value] of Object.entries(tags))
        db.run("INSERT INTO tags VALUES (?, ?, ?)", [key, value, run.id]);
      for (const [key, value] of Object.entries(run.params ?? {})) {
        db.run("INSERT INTO params VALUES (?, ?, ?)", [key, value, run.id]);
      }
      for (const p of run.points ?? []) {
        const isNan = Number.isNaN(p.value);
        const value = isNan
          ? 0
          : p.value === Infinity
            ? 1.7976931348623157e308
            : p.value === -Infinity
              ? -1.7976931348623157e308
              : p.value;
        db.run("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", [
          p.key,
          value,
          p.timestamp,
          run.id,
          p.step,
          isNan ? 1 : 0,
        ]);
      }
      for (let i = 0; i < (run.inputs ?? 0); i++) {
        db.run("INSERT INTO inputs VALUES (?, 'DATASET', ?, 'RUN', ?)", [
          `in-${run.id}-${i}`,
          `ds-${i}`,
          run.id,
        ]);
      }
    }
  }
  for (let i = 0; i < (options.registeredModels ?? 0); i++) {
    db.run("INSERT INTO registered_models VALUES (?, 1, 1, '')", [`model-${i}`]);
  }
  writeFileSync(file, db.export());
  db.close();
}
