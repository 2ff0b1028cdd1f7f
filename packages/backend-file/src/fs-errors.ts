import { BackendError } from "@exprun/core";

/** The backend name used in every message. */
export const BACKEND = "file";

export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null ? (error as { code?: string }).code : undefined;
}

/**
 * True when `error` (or the filesystem error it wraps) says a path does not exist: for this store that
 * means its experiment or run directory was deleted meanwhile.
 */
export function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  if (code === "ENOENT" || code === "ENOTDIR") return true;
  const cause = error instanceof Error ? error.cause : undefined;
  return cause !== undefined && cause !== error && isMissing(cause);
}

/** Codes that mean "this process may not write here", as opposed to a broken store. */
export function isUnwritable(error: unknown): boolean {
  const code = errorCode(error);
  if (code === "EROFS" || code === "EACCES" || code === "EPERM") return true;
  const cause = error instanceof Error ? error.cause : undefined;
  return cause !== undefined && cause !== error && isUnwritable(cause);
}

/** What the user can do about a failed filesystem call, by its code. */
function fix(code: string | undefined): string {
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return (
        "The disk is full (no space left on the device or quota): free some space. Buffered time-series " +
        "points are kept in memory and written by the next flush()."
      );
    case "EROFS":
      return (
        "The store is on a read-only filesystem: reads work, writes need it mounted read-write " +
        "(or another root)."
      );
    case "EACCES":
    case "EPERM":
      return (
        "Permission denied: this user may not write the store. Fix the owner or mode of the store " +
        "directory, or use another root."
      );
    case "ELOOP":
      return "It is a symbolic link: exprun never follows links inside its store; replace or remove it.";
    default:
      return "Check that the store directory exists, is writable and has free space.";
  }
}

/** Wraps a filesystem failure in a `BackendError` that names the path, the code and the fix. */
export function fsError(action: string, file: string, error: unknown): BackendError {
  const reason = error instanceof Error ? error.message : String(error);
  return new BackendError(`Cannot ${action} ${file}: ${reason}. ${fix(errorCode(error))}`, {
    backend: BACKEND,
    cause: error,
  });
}

/** A filesystem error made by this package (a short write, a link), with the code `fix` knows. */
export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** The error for a path inside the store that is a symbolic link, which exprun refuses to follow. */
export function linkRefused(file: string): BackendError {
  return new BackendError(
    `${file} is a symbolic link. exprun never follows a link inside its store, for reads, writes or ` +
      `deletes; replace the link with the directory or file it points to, or remove it.`,
    { backend: BACKEND },
  );
}

/** The error for a path inside the store that should be a directory and is something else. */
export function notADirectory(file: string): BackendError {
  return new BackendError(
    `${file} is not a directory, where this store keeps one. Move that file away; exprun does not ` +
      `remove what it did not create.`,
    { backend: BACKEND },
  );
}
