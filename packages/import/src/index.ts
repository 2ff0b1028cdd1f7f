export { UnsupportedSourceError } from "./errors.js";
export { openMlflowFileStore } from "./mlflow/filestore.js";
export { MLFLOW_STATES } from "./mlflow/mapping.js";
export { openMlflow } from "./mlflow/open.js";
export type { MlflowOptions } from "./mlflow/options.js";
export { openMlflowDatabase } from "./mlflow/sqlite.js";
export type {
  ImportedExperiment,
  ImportedRun,
  ImportReport,
  ImportSource,
  SeriesChunk,
  SourceKind,
} from "./model.js";
export { experimentNameFor, ImportNames, slug } from "./names.js";
export { type ImportPlan, planImport } from "./plan.js";
export { SeriesSettler, type SettleOptions } from "./settle.js";
export { EVENT_FILE, openTensorBoard, type TensorBoardOptions } from "./tensorboard/reader.js";
export { inferParamValue, parsePythonFloat, parsePythonJson } from "./values.js";
export { openWandb, type WandbOptions } from "./wandb/reader.js";
