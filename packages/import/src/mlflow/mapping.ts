import { MLFLOW_RUN_STATES, type RunState, type Value } from "@exprun/core";
import { inferParamValue } from "../values.js";

/** MLflow's `RunStatus` as the FileStore writes it (an integer) and the SQL store (a name). */
const STATUS_NAMES: Record<string, string> = {
  "1": "RUNNING",
  "2": "SCHEDULED",
  "3": "FINISHED",
  "4": "FAILED",
  "5": "KILLED",
};

/** MLflow run status → exprun run state (Vertex `Execution.State` names): core's one mapping. */
export const MLFLOW_STATES: Readonly<Record<string, RunState>> = MLFLOW_RUN_STATES;

/** The exprun state of an MLflow status (integer or name); `undefined` when unknown. */
export function stateOf(status: unknown): RunState | undefined {
  if (status === undefined || status === null) return "RUNNING"; // MLflow reads a missing status as RUNNING
  const name = STATUS_NAMES[String(status)] ?? String(status).toUpperCase();
  return MLFLOW_STATES[name];
}

/** The tag holding a run's (or an experiment's) description. */
export const NOTE_TAG = "mlflow.note.content";
export const RUN_NAME_TAG = "mlflow.runName";

/** The name MLflow shows for a run: `run_name`, else the `mlflow.runName` tag, else 1.x's `name`, else its id. */
export function runDisplayName(
  runName: unknown,
  tags: Record<string, string>,
  legacyName: unknown,
  runId: string,
): string {
  for (const candidate of [runName, tags[RUN_NAME_TAG], legacyName]) {
    if (typeof candidate === "string" && candidate.trim() !== "") return candidate;
  }
  return runId;
}

/** MLflow tags → exprun tags and note: `mlflow.note.content` becomes the note, every other tag is kept. */
export function splitNote(tags: Record<string, string>): { tags: Record<string, string>; note: string } {
  const { [NOTE_TAG]: note = "", ...rest } = tags;
  return { tags: rest, note };
}

/** MLflow params (always text) → exprun params (see {@link inferParamValue}). */
export function paramsOf(raw: Record<string, string>, inferTypes: boolean): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [key, value] of Object.entries(raw)) out[key] = inferTypes ? inferParamValue(value) : value;
  return out;
}

/** A millisecond time from a meta.yaml or database field, or `undefined`. */
export function msOf(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && isTimeMs(n) && n > 0 ? n : undefined;
}

/**
 * The largest distance from the epoch an MLflow time in milliseconds is read as: the year 10000. A
 * larger number is not a time in milliseconds but in microseconds (a 2024 time in µs is the year
 * 55,000) or nanoseconds (beyond what a `Date` holds, which core refuses), or a typo. Stored as is, it
 * would date the run wrongly or fail it, so the importer drops that one time, counts it and names
 * the file.
 */
export const MAX_TIME_MS = Date.UTC(10_000, 0, 1);

export function isTimeMs(n: number): boolean {
  return Number.isFinite(n) && Math.abs(n) < MAX_TIME_MS;
}
