import { stat } from "node:fs/promises";
import path from "node:path";
import { UnsupportedSourceError } from "../errors.js";
import type { ImportSource } from "../model.js";
import { isMlrunsDir, openMlflowFileStore } from "./filestore.js";
import type { MlflowOptions } from "./options.js";
import { openMlflowDatabase } from "./sqlite.js";

/**
 * Opens an MLflow store for import: an `mlruns` folder (the FileStore) or an `mlflow.db` file (the
 * SQLite store). A folder that holds an `mlruns` folder or an `mlflow.db` (a project folder) is
 * accepted too. Throws {@link UnsupportedSourceError} for anything else.
 */
export async function openMlflow(source: string, options: MlflowOptions = {}): Promise<ImportSource> {
  const resolved = path.resolve(source);
  const info = await stat(resolved).catch(() => undefined);
  if (!info) {
    throw new UnsupportedSourceError(
      `${resolved} does not exist. Expected an MLflow store: an mlruns folder or an mlflow.db file.`,
    );
  }
  if (info.isFile()) return openMlflowDatabase(resolved, options);
  if (await isMlrunsDir(resolved)) return openMlflowFileStore(resolved, options);
  for (const inner of ["mlruns", "mlflow.db"]) {
    const candidate = path.join(resolved, inner);
    const found = await stat(candidate).catch(() => undefined);
    if (inner === "mlruns" && found?.isDirectory() && (await isMlrunsDir(candidate))) {
      return openMlflowFileStore(candidate, options);
    }
    if (inner === "mlflow.db" && found?.isFile()) return openMlflowDatabase(candidate, options);
  }
  throw new UnsupportedSourceError(
    `${resolved} is not an MLflow store. Expected an mlruns folder (experiment folders with a meta.yaml, ` +
      "as MLflow's FileStore writes them) or an mlflow.db file.",
  );
}
