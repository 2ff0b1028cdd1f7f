import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statfsSync,
  writeSync,
  writevSync,
} from "node:fs";
import { type FileHandle, link, open, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { BackendError } from "@exprun/core";
import { codedError, errorCode, fsError, linkRefused, notADirectory } from "./fs-errors.js";

export { BACKEND, errorCode, fsError, isMissing } from "./fs-errors.js";

const fdatasyncAsync = promisify(fdatasync);
const { O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** A short random id: unique names for temp files, run incarnations, chunks and artifacts. */
export function uid(): string {
  return randomBytes(9).toString("base64url");
}

// ── no-follow checks ─────────────────────────────────────────────────────────────────────────────
// exprun never follows a symbolic link inside its store. Directories are checked with lstat before
// anything is created, written or removed in them; files are opened with O_NOFOLLOW. (A process that
// swaps a directory for a link between the check and the use could still win; the rule protects
// against links that are already there, such as ones committed to a repository.)

/** What is at `file`, without following a link. */
export function entryKind(file: string): "missing" | "directory" | "file" | "link" | "other" {
  let info: ReturnType<typeof lstatSync> | undefined;
  try {
    info = lstatSync(file, { throwIfNoEntry: false }); // no exception to build for a missing file
  } catch (error) {
    if (errorCode(error) === "ENOTDIR") return "missing";
    throw fsError("inspect", file, error);
  }
  if (info === undefined) return "missing";
  if (info.isSymbolicLink()) return "link";
  if (info.isDirectory()) return "directory";
  return info.isFile() ? "file" : "other";
}

/** Whether `dir` is a real directory (false: it does not exist); a link or a file is an error. */
export function isRealDir(dir: string): boolean {
  const kind = entryKind(dir);
  if (kind === "link") throw linkRefused(dir);
  if (kind !== "missing" && kind !== "directory") throw notADirectory(dir);
  return kind === "directory";
}

/**
 * Creates `dir` (mode 0777 minus the umask) unless it is already a real directory; its parent must
 * exist. Returns whether it created it (the caller makes a created name durable with `syncDir`).
 */
export function makeRealDir(dir: string): boolean {
  if (isRealDir(dir)) return false;
  try {
    mkdirSync(dir, 0o777);
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw fsError("create the directory", dir, error);
    isRealDir(dir); // created meanwhile by another process, or a link: refused
    return false;
  }
  return true;
}

/** `makeRealDir`, and with `sync` a directory it creates is made durable in its parent. */
export async function ensureRealDir(dir: string, sync: boolean): Promise<void> {
  if (makeRealDir(dir) && sync) await syncDir(path.dirname(dir));
}

/**
 * Creates `dir` and its missing parents one at a time, so that a failure names its real cause (a
 * recursive mkdir reports ENOENT on a read-only filesystem).
 */
export async function ensureDirs(dir: string, sync: boolean): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; ; at = path.dirname(at)) {
    let exists: boolean;
    try {
      lstatSync(at);
      exists = true;
    } catch {
      exists = false;
    }
    if (exists || path.dirname(at) === at) break;
    missing.unshift(at);
  }
  for (const at of missing) {
    try {
      mkdirSync(at, 0o777);
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw fsError("create the store directory", at, error);
    }
    if (sync) await syncDir(path.dirname(at));
  }
}

/**
 * Opens a file of the store that must be a regular file: never through a link (O_NOFOLLOW), and never
 * blocking on, reading from or writing to a FIFO, a socket or a device put in its place (O_NONBLOCK,
 * which changes nothing for a regular file, then fstat). Missing-file errors are thrown as they are
 * (callers tell ENOENT apart); a link or another kind of file is a `BackendError` naming it.
 */
export function openRegular(file: string, flags: number, mode?: number): number {
  let fd: number;
  try {
    fd = openSync(file, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") throw error;
    if (code === "ELOOP") throw linkRefused(file);
    if (code === "EISDIR" || code === "ENXIO") throw notAFile(file);
    throw fsError("open", file, error);
  }
  let regular: boolean;
  try {
    regular = fstatSync(fd).isFile();
  } catch (error) {
    closeSync(fd);
    throw fsError("inspect", file, error);
  }
  if (!regular) {
    closeSync(fd);
    throw notAFile(file);
  }
  return fd;
}

// ── appends ──────────────────────────────────────────────────────────────────────────────────────

function openAppend(file: string, create: boolean): number {
  try {
    return openRegular(file, O_WRONLY | O_APPEND | (create ? O_CREAT : 0), 0o666);
  } catch (error) {
    throw error instanceof BackendError ? error : fsError("open", file, error);
  }
}

/**
 * A short write leaves part of the data behind and says nothing about why. On a full disk the next
 * write would fail with ENOSPC; the data must not be continued (another writer may append in between),
 * so the free space tells the cause instead.
 */
function shortWrite(file: string, written: number, length: number): Error {
  let full = false;
  try {
    const fs = statfsSync(path.dirname(file));
    full = fs.bavail * fs.bsize < length - written + 65536;
  } catch {
    full = false;
  }
  const what = `short write (${written} of ${length} bytes)`;
  return full ? codedError("ENOSPC", `no space left on device, ${what}`) : codedError("EIO", what);
}

function writeAll(fd: number, file: string, data: Buffer | readonly Buffer[]): void {
  const length = Buffer.isBuffer(data) ? data.length : data.reduce((n, b) => n + b.length, 0);
  if (length === 0) return;
  let written: number;
  try {
    written = Buffer.isBuffer(data) ? writeSync(fd, data, 0, data.length) : writevSync(fd, data as Buffer[]);
  } catch (error) {
    throw fsError("append to", file, error);
  }
  if (written !== length) throw fsError("append to", file, shortWrite(file, written, length));
}

/**
 * Appends whole records with one `write(2)` (or `writev(2)`) on an `O_APPEND | O_NOFOLLOW` descriptor:
 * on a local Linux filesystem the kernel serialises appends, so records of concurrent processes never
 * interleave. With `sync`, the data is on disk (fdatasync) before this resolves. `create: false`
 * refuses to create the file. A failed write may leave a prefix of `data` behind: every log of this
 * store is read so that a cut record never hides the records after it.
 */
export async function appendData(
  file: string,
  data: Buffer | readonly Buffer[],
  sync: boolean,
  create = true,
): Promise<void> {
  // open/write/close are synchronous (microseconds on a local disk); only fdatasync, which waits for
  // the device, goes to the threadpool so that concurrent writers' syncs overlap.
  const fd = openAppend(file, create);
  try {
    writeAll(fd, file, data);
    if (sync) await fdatasyncAsync(fd);
  } catch (error) {
    throw error instanceof BackendError ? error : fsError("sync", file, error);
  } finally {
    closeSync(fd);
  }
  // The first synced append to a file in this process also makes its directory entry durable (the file
  // may just have been created by O_CREAT); later ones need not.
  if (sync && !durableNames.has(file)) {
    await syncDir(path.dirname(file));
    if (durableNames.size > 100_000) durableNames.clear();
    durableNames.add(file);
  }
}

/** `appendData` without fsync, synchronously (for the exit hook, where nothing async runs). */
export function appendDataSync(file: string, data: Buffer | readonly Buffer[], create = true): void {
  const fd = openAppend(file, create);
  try {
    writeAll(fd, file, data);
  } finally {
    closeSync(fd);
  }
}

/** Files whose directory entry this process has already fsynced. */
const durableNames = new Set<string>();

/** Makes what was appended to `file` durable. */
export async function syncFile(file: string): Promise<void> {
  let fd: number;
  try {
    fd = openRegular(file, O_RDONLY);
  } catch (error) {
    throw error instanceof BackendError ? error : fsError("open", file, error);
  }
  try {
    await fdatasyncAsync(fd);
  } catch (error) {
    throw fsError("sync", file, error);
  } finally {
    closeSync(fd);
  }
}

// ── whole files ──────────────────────────────────────────────────────────────────────────────────

/**
 * The temp name used for atomic replacement: `.<name>.<pid>.<id>.tmp`. Readers skip names starting with
 * a dot; the pid lets a later process tell a dead writer's leftover from a live writer's temp.
 */
export function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${uid()}.tmp`);
}

/** Writes `data` to a temp file in the same directory and fsyncs it; resolves the temp path. */
async function writeTemp(file: string, data: Buffer, sync: boolean): Promise<string> {
  const temp = tempName(file);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "wx", 0o666); // O_EXCL: never opens through a link
    const { bytesWritten } = await handle.write(data, 0, data.length, 0);
    if (bytesWritten !== data.length) throw shortWrite(temp, bytesWritten, data.length);
    if (sync) await handle.sync();
  } catch (error) {
    await handle?.close();
    await unlink(temp).catch(() => {});
    throw error instanceof BackendError ? error : fsError("write", file, error);
  }
  await handle.close();
  return temp;
}

/** Replaces `file` atomically: readers see the old or the new content, never a mix (temp + fsync + rename). */
export async function replaceFile(file: string, data: Buffer, sync: boolean): Promise<void> {
  const temp = await writeTemp(file, data, sync);
  try {
    await rename(temp, file); // replaces a link at `file` itself, never its target
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

/** Reads a whole file (never through a link); `undefined` when it does not exist. */
export function readIfExistsSync(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openRegular(file, O_RDONLY);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error instanceof BackendError ? error : fsError("open", file, error);
  }
  try {
    return readFileSync(fd);
  } catch (error) {
    throw fsError("read", file, error);
  } finally {
    closeSync(fd);
  }
}

export function notAFile(file: string): BackendError {
  return new BackendError(`${file} is not a regular file, where this store keeps one. Move it away.`, {
    backend: "file",
  });
}

/**
 * Removes a directory tree this store created; missing is fine. A link in its place is left alone
 * (removing it would not free the data, and exprun never deletes what it did not create); links inside
 * the tree are removed as links, never followed. Resolves whether a tree was removed.
 */
export async function removeTree(dir: string): Promise<boolean> {
  let real: boolean;
  try {
    real = isRealDir(dir);
  } catch {
    return false;
  }
  if (!real) return false;
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    throw fsError("remove", dir, error);
  }
  return true;
}
