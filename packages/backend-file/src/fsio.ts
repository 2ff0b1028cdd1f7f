import { randomBytes } from "node:crypto";
import { closeSync, constants, fdatasync, openSync, readFileSync, writeSync } from "node:fs";
import { type FileHandle, link, mkdir, open, readFile, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { BackendError } from "@exprun/core";

const fdatasyncAsync = promisify(fdatasync);

/** The backend name used in every message. */
export const BACKEND = "file";

/** A short random id: unique names for temp files, run incarnations and artifacts. */
export function uid(): string {
  return randomBytes(9).toString("base64url");
}

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

/** Wraps a filesystem failure in a `BackendError` that names the path and the fix. */
export function fsError(action: string, file: string, error: unknown): BackendError {
  const reason = error instanceof Error ? error.message : String(error);
  return new BackendError(
    `Cannot ${action} ${file}: ${reason}. Check that the store directory exists, is writable and has free space.`,
    { backend: BACKEND, cause: error },
  );
}

/** Writes all of `data` with one `write(2)`; a short write is an error (a record must never be split). */
async function writeWhole(handle: FileHandle, data: Buffer, file: string, position?: number): Promise<void> {
  const { bytesWritten } = await handle.write(data, 0, data.length, position);
  if (bytesWritten !== data.length) {
    throw fsError("write", file, new Error(`short write (${bytesWritten} of ${data.length} bytes)`));
  }
}

/**
 * Appends whole records with one `write(2)` on an `O_APPEND` descriptor: on a local Linux filesystem the
 * kernel serialises appends, so records of concurrent processes never interleave. With `sync`, the data
 * is on disk (fdatasync) before this resolves. `create: false` refuses to create the file.
 */
export async function appendData(file: string, data: Buffer, sync: boolean, create = true): Promise<void> {
  await appendNow(file, data, sync, create);
  // The first synced append to a file in this process also makes its directory entry durable (the file
  // may just have been created by O_CREAT); later ones need not.
  if (sync && !durableNames.has(file)) {
    await syncDir(path.dirname(file));
    if (durableNames.size > 100_000) durableNames.clear();
    durableNames.add(file);
  }
}

/** Files whose directory entry this process has already fsynced. */
const durableNames = new Set<string>();

async function appendNow(file: string, data: Buffer, sync: boolean, create: boolean): Promise<void> {
  // open/write/close are synchronous (microseconds on a local disk); only fdatasync, which waits for
  // the device, goes to the threadpool so that concurrent writers' syncs overlap.
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | (create ? constants.O_CREAT : 0), 0o666);
  } catch (error) {
    throw fsError("open", file, error);
  }
  try {
    const written = writeSync(fd, data, 0, data.length);
    if (written !== data.length) {
      throw fsError("write", file, new Error(`short write (${written} of ${data.length} bytes)`));
    }
    if (sync) await fdatasyncAsync(fd);
  } catch (error) {
    throw error instanceof BackendError ? error : fsError("append to", file, error);
  } finally {
    closeSync(fd);
  }
}

/** The temp name used for atomic replacement; readers skip names starting with a dot. */
export function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${uid()}.tmp`);
}

/** Writes `data` to a temp file in the same directory and fsyncs it; resolves the temp path. */
export async function writeTemp(file: string, data: Buffer, sync: boolean): Promise<string> {
  const temp = tempName(file);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx", 0o666);
    await writeWhole(handle, data, temp, 0);
    if (sync) await handle.sync();
  } catch (error) {
    await handle?.close();
    await unlink(temp).catch(() => {});
    throw error instanceof BackendError ? error : fsError("write", temp, error);
  }
  await handle.close();
  return temp;
}

/** Replaces `file` atomically: readers see the old or the new content, never a mix (temp + fsync + rename). */
export async function replaceFile(file: string, data: Buffer, sync: boolean): Promise<void> {
  const temp = await writeTemp(file, data, sync);
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw fsError("replace", file, error);
  }
  if (sync) await syncDir(path.dirname(file));
}

/**
 * Creates `file` with `data` only if it does not exist yet, atomically: the content is complete before
 * the name appears (temp + fsync + link). Resolves false when the name was taken.
 */
export async function createExclusive(file: string, data: Buffer, sync: boolean): Promise<boolean> {
  const temp = await writeTemp(file, data, sync);
  try {
    await link(temp, file);
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw fsError("create", file, error);
  } finally {
    await unlink(temp).catch(() => {});
  }
  if (sync) await syncDir(path.dirname(file));
  return true;
}

/** Makes a directory entry durable (a created, renamed or linked name). */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the data itself is already synced.
  } finally {
    await handle?.close();
  }
}

/**
 * Creates a directory (mode 0777 minus the umask); an existing one is fine. The parent must exist. With
 * `sync`, a directory it creates is made durable in its parent.
 */
export async function ensureDir(dir: string, sync = false): Promise<void> {
  try {
    await mkdir(dir, 0o777);
    if (sync) await syncDir(path.dirname(dir));
  } catch (error) {
    if (errorCode(error) === "EEXIST") return;
    throw fsError("create the directory", dir, error);
  }
}

/** Reads a whole file; `undefined` when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw fsError("read", file, error);
  }
}

/** Reads a small file synchronously; `undefined` when it does not exist. */
export function readIfExistsSync(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw fsError("read", file, error);
  }
}

/** Removes a directory tree; missing is fine. */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    throw fsError("remove", dir, error);
  }
}
