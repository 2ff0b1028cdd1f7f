import type { Backend } from "./backend.js";
import { ValidationError } from "./errors.js";
import { validateName } from "./names.js";
import { defaultBackendUri, openBackend } from "./open-backend.js";

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
}

/** The defaults recorded by {@link init}. */
export interface Defaults extends InitOptions {}

let defaults: Defaults = {};
const opened = new Map<string, Promise<Backend>>();
const initListeners = new Set<
  (changed: { project: boolean; location: boolean; experiment: boolean }) => void
>();

/**
 * Records defaults for every later call (the analogue of `aiplatform.init`). Synchronous: nothing is
 * read or written until a run or experiment is used. Keys not given keep their earlier value;
 * pass `undefined` explicitly to clear one.
 */
export function init(options: InitOptions = {}): void {
  if (options.experiment !== undefined) validateName("experiment", options.experiment);
  const next = { ...defaults, ...options };
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
  for (const listener of initListeners) listener({ project: true, location: true, experiment: true });
}

/** @internal Lets the module-level run tracker forget its run when project, location or experiment change. */
export function onInit(
  listener: (changed: { project: boolean; location: boolean; experiment: boolean }) => void,
): void {
  initListeners.add(listener);
}

/**
 * The backend for a call: the call's, else `init`'s, else `EXPRUN_BACKEND`, else `./.exprun`.
 * URIs are opened once per process and shared, so that `"memory:"` means one store everywhere.
 */
export async function resolveBackend(options: CommonOptions = {}): Promise<Backend> {
  const chosen = options.backend ?? defaults.backend ?? defaultBackendUri();
  if (typeof chosen !== "string") return chosen;
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
  const name = typeof experiment === "object" ? experiment.name : (experiment ?? defaults.experiment);
  if (name === undefined) {
    throw new ValidationError(
      "experiment must be provided or experiment should be set using init({ experiment: 'my-experiment' }).",
    );
  }
  validateName("experiment", name);
  return name;
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
