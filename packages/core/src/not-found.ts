import { NotFoundError } from "./errors.js";
import type { RunRef } from "./types.js";

/**
 * The "not found" errors, worded once for every store, the CLI and core's API. Stores throw these
 * so that a missing experiment reads the same whether it was looked for on a disk, in a bucket or
 * in Vertex.
 */
export interface NotFoundOptions {
  /** The backend's name, printed in the message prefix. */
  backend?: string | undefined;
  /** What the reader can do about it; the default suits core's API. */
  hint?: string | undefined;
  /** The store's own failure behind it (a gRPC NOT_FOUND, an HTTP 404), kept as the error's `cause`. */
  cause?: unknown;
}

export function experimentNotFound(name: string, options: NotFoundOptions = {}): NotFoundError {
  const hint =
    options.hint ?? "Create it with Experiment.create(), or list the existing ones with Experiment.list().";
  return new NotFoundError(`Experiment ${JSON.stringify(name)} was not found.${hint ? ` ${hint}` : ""}`, {
    backend: options.backend,
    cause: options.cause,
  });
}

export function runNotFound(ref: RunRef, options: NotFoundOptions = {}): NotFoundError {
  const deleted = ref.incarnation
    ? " It was deleted (a run created since under the same name is a different run)."
    : "";
  const hint =
    options.hint ?? (ref.incarnation ? "" : "Create it with ExperimentRun.create() or startRun().");
  return new NotFoundError(
    `Run ${JSON.stringify(ref.run)} was not found in experiment ${JSON.stringify(ref.experiment)}.${deleted}` +
      (hint ? ` ${hint}` : ""),
    { backend: options.backend, cause: options.cause },
  );
}

export function resourceNotFound(
  kind: "Artifact" | "Execution",
  id: string,
  options: NotFoundOptions = {},
): NotFoundError {
  const hint = options.hint ?? "";
  return new NotFoundError(`${kind} ${JSON.stringify(id)} was not found.${hint ? ` ${hint}` : ""}`, {
    backend: options.backend,
    cause: options.cause,
  });
}
