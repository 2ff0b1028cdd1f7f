import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { RunState, Value } from "@exprun/core";
import { SCHEMA } from "@exprun/core";
import { UnsupportedSourceError } from "../errors.js";
import type { ImportedExperiment, ImportedRun, ImportSource } from "../model.js";
import { maxRunNameLength, NameBook, slug } from "../names.js";
import { Report } from "../report.js";
import { SeriesSettler, type SettleOptions } from "../settle.js";
import { float32ToNumber } from "../shared/float32.js";
import {
  DT_DOUBLE,
  DT_FLOAT,
  decodeEvent,
  decodeHParams,
  has,
  int64,
  type TbEvent,
  type TbSummaryValue,
  type TbTensor,
} from "./proto.js";
import { readTFRecords, type TFRecord } from "./tfrecord.js";

export interface TensorBoardOptions extends SettleOptions {
  /** The exprun experiment every run goes into (a valid name). */
  experiment: string;
  /** Sees each warning as it happens (the CLI prints them). */
  onWarning?: (message: string) => void;
}

/** `events.out.tfevents.<time>.<host>[…]`, and CatBoost's bare `events.out.tfevents`. */
export const EVENT_FILE = /^events\.out\.tfevents(\..*)?$/;

/** hparams session status (tensorboard/plugins/hparams/api.proto `Status`) → exprun state. */
const HPARAMS_STATUS: Record<number, RunState> = { 1: "COMPLETE", 2: "FAILED", 3: "RUNNING" };

/** Plugin names → the kind counted in the summary when their values are skipped. */
const SKIPPED_PLUGIN: Record<string, string> = {
  images: "images",
  image: "images",
  histograms: "histograms",
  distributions: "histograms",
  audio: "audio",
  text: "text",
  pr_curves: "prCurves",
  mesh: "meshes",
  custom_scalars: "customScalarLayouts",
  graph_run_metadata: "runMetadata",
};

/**
 * Opens a TensorBoard log directory: every directory under it that directly holds event files is a
 * run, named from its path relative to the log directory (the directory's own name when it holds
 * event files itself). Throws {@link UnsupportedSourceError} when there are none.
 */
export async function openTensorBoard(logdir: string, options: TensorBoardOptions): Promise<ImportSource> {
  const root = path.resolve(logdir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UnsupportedSourceError(
      `${root} is not a directory. Expected a TensorBoard log directory: a folder holding event files ` +
        "(events.out.tfevents*) or folders of them.",
    );
  }
  const unreadable: string[] = [];
  const runDirs = await findRunDirs(root, unreadable);
  if (runDirs.length === 0) {
    throw new UnsupportedSourceError(
      `No event files under ${root}. Expected a TensorBoard log directory: a folder holding ` +
        "events.out.tfevents* files, directly or in sub-folders (one per run).",
    );
  }
  const report = new Report(options.onWarning);
  for (const message of unreadable) report.warn(message);
  const experiment: ImportedExperiment = {
    name: options.experiment,
    sourceName: options.experiment,
    sourceId: root,
    description: "",
  };
  const names = new NameBook(maxRunNameLength(experiment.name));
  return {
    kind: "tensorboard",
    path: root,
    runCount: runDirs.length,
    report,
    async *runs() {
      for (const run of runDirs) {
        const relative = path.relative(root, run.dir).split(path.sep).join("/");
        const sourceName = relative === "" ? path.basename(root) : relative;
        const name = names.name(relative, slug(sourceName), "run");
        const imported = await readRun(run, { experiment, name, sourceName, relative }, report, options);
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

interface RunDir {
  dir: string;
  files: string[];
}

/** Directories under `root` (itself included) holding event files, in path order; symlinked folders are not followed. */
async function findRunDirs(root: string, unreadable: string[]): Promise<RunDir[]> {
  const out: RunDir[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      unreadable.push(
        `${dir}: cannot be listed (${(error as NodeJS.ErrnoException).code ?? String(error)}); skipped`,
      );
      return;
    }
    const files = entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && EVENT_FILE.test(e.name))
      .map((e) => path.join(dir, e.name))
      .sort();
    const regular: string[] = [];
    for (const file of files) if ((await stat(file).catch(() => undefined))?.isFile()) regular.push(file);
    if (regular.length > 0) out.push({ dir, files: regular });
    const subdirs = entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    for (const sub of subdirs) await walk(path.join(dir, sub));
  };
  await walk(root);
  return out;
}

interface RunNaming {
  experiment: ImportedExperiment;
  name: string;
  sourceName: string;
  relative: string;
}

/** Reads every event file of one run (in file-name order, which is the order they were written). */
async function readRun(
  run: RunDir,
  naming: RunNaming,
  report: Report,
  options: TensorBoardOptions,
): Promise<ImportedRun> {
  const settler = new SeriesSettler(options);
  const state = new RunReader(settler, report);
  try {
    for (const file of run.files) await state.readFile(file);
  } catch (error) {
    await settler.close();
    throw error;
  }
  const metrics: Record<string, Value> = {};
  for (const [key, point] of Object.entries(settler.latest())) metrics[key] = point.value;
  return {
    experiment: naming.experiment,
    name: naming.name,
    sourceId: naming.relative,
    sourceName: naming.sourceName,
    location: run.dir,
    state: state.state,
    runType: SCHEMA.experimentRun,
    params: state.params,
    metrics,
    tags: {},
    description: "",
    ...(state.firstWallTime !== undefined ? { createTime: state.firstWallTime } : {}),
    ...(state.lastWallTime !== undefined ? { updateTime: state.lastWallTime } : {}),
    seriesKeys: settler.keys,
    series: () => settler.chunks(),
    close: () => settler.close(),
  };
}

/** What reading a run's events collects. */
class RunReader {
  readonly params: Record<string, Value> = {};
  state: RunState = "COMPLETE";
  firstWallTime: number | undefined;
  lastWallTime: number | undefined;
  readonly #settler: SeriesSettler;
  readonly #report: Report;
  /** Plugin of each tag: TensorBoard writers send a tag's metadata with its first value only. */
  readonly #plugins = new Map<string, string>();

  constructor(settler: SeriesSettler, report: Report) {
    this.#settler = settler;
    this.#report = report;
  }

  async readFile(file: string): Promise<void> {
    let badSteps = 0;
    let undecodable = 0;
    let firstBad = -1;
    const onRecord = (record: TFRecord) => {
      let event: TbEvent;
      try {
        event = decodeEvent(record.data);
      } catch {
        undecodable++;
        if (firstBad < 0) firstBad = record.offset;
        return;
      }
      badSteps += this.#event(event);
    };
    await readTFRecords(file, onRecord, {
      onDamage: (message) => {
        this.#report.skip("damagedRecords");
        this.#report.warn(message);
      },
      onOversized: () => this.#report.skip("oversizedRecords"),
    });
    if (undecodable > 0) {
      this.#report.skip("undecodableRecords", undecodable);
      this.#report.warn(
        `${file}: ${undecodable} record(s) with a valid CRC are not TensorFlow Events (first at byte ${firstBad}); skipped`,
      );
    }
    if (badSteps > 0) {
      this.#report.skip("invalidSteps", badSteps);
      this.#report.warn(
        `${file}: ${badSteps} scalar(s) with a negative step or one beyond 2^53 skipped (exprun steps are non-negative integers)`,
      );
    }
  }

  /** Handles one event; returns how many scalars it had with a step exprun cannot keep. */
  #event(event: TbEvent): number {
    const wallTime = Math.round(event.wall_time * 1000);
    if (Number.isFinite(wallTime) && wallTime > 0) {
      if (this.firstWallTime === undefined || wallTime < this.firstWallTime) this.firstWallTime = wallTime;
      if (this.lastWallTime === undefined || wallTime > this.lastWallTime) this.lastWallTime = wallTime;
    }
    if (has(event, "graph_def")) this.#report.skip("graphs");
    else if (has(event, "meta_graph_def")) this.#report.skip("metaGraphs");
    else if (has(event, "tagged_run_metadata")) this.#report.skip("runMetadata");
    else if (has(event, "log_message")) this.#report.skip("logMessages");
    else if (has(event, "session_log")) this.#report.skip("sessionLogs");
    if (!event.summary) return 0;
    const step = int64(event.step);
    let badSteps = 0;
    for (const value of event.summary.value) {
      const scalar = this.#value(value);
      if (scalar === undefined) continue;
      if (step === undefined || step < 0) {
        badSteps++;
        continue;
      }
      this.#settler.add(scalar.key, step, Number.isFinite(wallTime) ? wallTime : 0, scalar.value);
    }
    return badSteps;
  }

  /** The scalar a summary value holds, or `undefined` after counting what it is. */
  #value(value: TbSummaryValue): { key: string; value: number } | undefined {
    const key = (value.tag || value.node_name).trim();
    const named = value.metadata?.plugin_data?.plugin_name;
    if (named && !this.#plugins.has(key)) this.#plugins.set(key, named);
    const plugin = named || this.#plugins.get(key) || "";
    if (plugin === "hparams") {
      this.#hparams(value);
      return undefined;
    }
    if (has(value, "simple_value")) {
      if (key === "") return this.#skip("untaggedScalars");
      return { key, value: float32ToNumber(value.simple_value) };
    }
    if (has(value, "image")) return this.#skip("images");
    if (has(value, "histo") || has(value, "obsolete_old_style_histogram")) return this.#skip("histograms");
    if (has(value, "audio")) return this.#skip("audio");
    if (value.tensor) {
      if (plugin === "scalars") {
        const scalar = scalarOf(value.tensor);
        if (scalar !== undefined && key !== "") return { key, value: scalar };
        return this.#skip("nonScalarTensors");
      }
      return this.#skip(SKIPPED_PLUGIN[plugin] ?? (plugin ? plugin : "tensors"));
    }
    return undefined;
  }

  #skip(kind: string): undefined {
    this.#report.skip(kind);
    return undefined;
  }

  /** hparams plugin data: the session's hyperparameters become params, its end status the run state. */
  #hparams(value: TbSummaryValue): void {
    const content = value.metadata?.plugin_data?.content;
    if (!content || content.length === 0) return;
    let data: ReturnType<typeof decodeHParams>;
    try {
      data = decodeHParams(content);
    } catch {
      this.#report.skip("undecodableHparams");
      return;
    }
    if (data.session_start_info) {
      for (const [name, hparam] of Object.entries(data.session_start_info.hparams ?? {})) {
        if (has(hparam, "number_value")) this.params[name] = hparam.number_value;
        else if (has(hparam, "string_value")) this.params[name] = hparam.string_value;
        else if (has(hparam, "bool_value")) this.params[name] = hparam.bool_value;
        else this.#report.skip("structuredHparams");
      }
      const start = data.session_start_info.start_time_secs;
      if (start > 0) this.firstWallTime = Math.min(this.firstWallTime ?? Infinity, Math.round(start * 1000));
    } else if (data.session_end_info) {
      this.state = HPARAMS_STATUS[data.session_end_info.status] ?? this.state;
    } else if (has(data, "experiment")) {
      this.#report.skip("hparamsConfigs");
    }
  }
}

/** The one float of a scalar DT_FLOAT / DT_DOUBLE tensor (in `float_val`/`double_val` or packed in `tensor_content`). */
function scalarOf(tensor: TbTensor): number | undefined {
  const dims = tensor.tensor_shape?.dim ?? [];
  if (dims.some((d) => int64(d.size) !== 1)) return undefined;
  const content = tensor.tensor_content;
  if (tensor.dtype === DT_FLOAT) {
    if (tensor.float_val.length === 1) return float32ToNumber(tensor.float_val[0]!);
    if (content.length === 4) {
      return float32ToNumber(new DataView(content.buffer, content.byteOffset, 4).getFloat32(0, true));
    }
  } else if (tensor.dtype === DT_DOUBLE) {
    if (tensor.double_val.length === 1) return tensor.double_val[0];
    if (content.length === 8) return new DataView(content.buffer, content.byteOffset, 8).getFloat64(0, true);
  }
  return undefined;
}
