import type { Backend } from "./backend.js";
import { type CheckedBackend, checkBackend } from "./checked-backend.js";
import { InvalidTypeError, ValidationError } from "./errors.js";
import { validateName } from "./names.js";
import { defaultBackendUri, openBackend } from "./open-backend.js";
import { activeRuns } from "./run-lifecycle.js";
import { isPlainObject, typeName } from "./validation.js";

/** Options every static method accepts per call, overriding {@link init}. */
export interface CommonOptions {
  /** A backend instance, or a URI for {@link openBackend}. Default: `EXPRUN_BACKEND`, else the file store `./.exprun`. */
  backend?: Backend | string;
  project?: string;
  location?: string;
  credentials?: unknown;
}

export interface InitOptions extends CommonOptions {
  /** The default experiment; created on first use if it does not exist. */
  experiment?: string;
  experimentDescription?: string;
  /** TensorBoard resource name to back the default experiment's time series. */
  experimentTensorboard?: string;
  /**
   * End this process's running runs CANCELLED on SIGINT/SIGTERM (and FAILED on an uncaught exception)
   * before the signal or exception takes its default effect. Handlers exist only while a run is active.
   * @default true
   */
  handleSignals?: boolean;
}

/** The defaults recorded by {@link init}. */
export interface Defaults extends InitOptions {}

let defaults: Defaults = {};
const opened = new Map<string, Promise<CheckedBackend>>();
const initListeners = new Set<
  (changed: { project: boolean; location: boolean; experiment: boolean }) => void
>();

/**
 * Records defaults for every later call (the analogue of `aiplatform.init`). Synchronous: nothing is
 * read or written until a run or experiment is used. Keys not given keep their earlier value;
 * pass `undefined` explicitly to clear one.
 */
export function init(options: InitOptions = {}): void {
  if (!isPlainObject(options))
    throw new InvalidTypeError(`init takes an options object; got ${typeName(options)}.`);
  if (options.experiment !== undefined) validateName("experiment", options.experiment);
  checkCommonOptions(options, "init");
  if (options.handleSignals !== undefined && typeof options.handleSignals !== "boolean") {
    throw new InvalidTypeError(`handleSignals must be a boolean; got ${typeName(options.handleSignals)}.`);
  }
  const next: Defaults = { ...defaults, ...options };
  // A backend object is wrapped once, here, so every later call shares one checked backend.
  if (typeof next.backend === "object" && next.backend !== null) next.backend = checkBackend(next.backend);
  if (
    !next.experiment &&
    (options.experimentDescription !== undefined || options.experimentTensorboard !== undefined)
  ) {
    throw new ValidationError(
      "Experiment needs to be set in `init` in order to add experiment descriptions or an experiment TensorBoard.",
    );
  }
  const changed = {
    project: "project" in options && options.project !== defaults.project,
    location: "location" in options && options.location !== defaults.location,
    experiment: "experiment" in options && options.experiment !== defaults.experiment,
  };
  defaults = next;
  if (options.handleSignals !== undefined) activeRuns.setEnabled(options.handleSignals);
  for (const listener of initListeners) listener(changed);
}

/** The current defaults (a copy). */
export function getDefaults(): Defaults {
  return { ...defaults };
}

/** Forgets every default and cached backend. Meant for tests. */
export function resetDefaults(): void {
  defaults = {};
  opened.clear();
  activeRuns.setEnabled(true);
  for (const listener of initListeners) listener({ project: true, location: true, experiment: true });
}

/** @internal Lets the module-level run tracker forget its run when project, location or experiment change. */
export function onInit(
  listener: (changed: { project: boolean; location: boolean; experiment: boolean }) => void,
): void {
  initListeners.add(listener);
}

/**
 * The backend for a call, checked: the call's, else `init`'s, else `EXPRUN_BACKEND`, else `./.exprun`.
 * URIs are opened once per process and shared, so that `"memory:"` means one store everywhere.
 */
export async function resolveBackend(options: CommonOptions = {}): Promise<CheckedBackend> {
  checkCommonOptions(options, "options");
  const chosen = options.backend ?? defaults.backend ?? defaultBackendUri();
  if (typeof chosen !== "string") return checkBackend(chosen);
  let backend = opened.get(chosen);
  if (!backend) {
    backend = openBackend(chosen);
    opened.set(chosen, backend);
    backend.catch(() => opened.delete(chosen));
  }
  return backend;
}

/** The experiment for a call: the call's, else `init`'s, else a ValidationError naming the fix. */
export function resolveExperimentName(experiment: string | { name: string } | undefined): string {
  if (experiment === null) throw new ValidationError("experiment must be a name or an Experiment; got null.");
  const name = typeof experiment === "object" ? experiment.name : (experiment ?? defaults.experiment);
  if (name === undefined) {
    throw new ValidationError(
      "experiment must be provided or experiment should be set using init({ experiment: 'my-experiment' }).",
    );
  }
  validateName("experiment", name);
  return name;
}

/** The common options' types: a backend object or URI, and strings for project and location. */
export function checkCommonOptions(options: CommonOptions, where: string): void {
  const { backend, project, location } = options;
  if (
    backend !== undefined &&
    typeof backend !== "string" &&
    (typeof backend !== "object" || backend === null)
  ) {
    throw new InvalidTypeError(
      `${where}: backend must be a Backend object or a URI string; got ${typeName(backend)}.`,
    );
  }
  if (backend === "") throw new ValidationError(`${where}: backend must not be an empty URI.`);
  for (const [key, value] of [
    ["project", project],
    ["location", location],
  ] as const) {
    if (value !== undefined && typeof value !== "string") {
      throw new InvalidTypeError(`${where}: ${key} must be a string; got ${typeName(value)}.`);
    }
  }
}

export function resolveLocation(
  options: CommonOptions,
  backend: Backend,
): {
  project: string;
  location: string;
  credentials: unknown;
} {
  return {
    project: options.project ?? defaults.project ?? backend.project ?? "local",
    location: options.location ?? defaults.location ?? backend.location ?? "local",
    credentials: options.credentials ?? defaults.credentials ?? backend.credentials,
  };
}
