import { open, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { BackendError } from "@exprun/core";
import {
  BACKEND,
  createExclusive,
  ensureDirs,
  errorCode,
  fsError,
  readIfExistsSync,
  replaceFile,
} from "./fsio.js";
import { isAlive } from "./housekeeping.js";
import { migrateLayout1 } from "./migrate-layout-1.js";

/** The name of the file that marks a directory as an exprun store and states its layout version. */
export const FORMAT_FILE = "exprun-store.json";
export const STORE_FORMAT = "exprun-file-store";
/** The layout this package writes. Bump it, and add a migration, when the layout changes. */
export const FORMAT_VERSION = 2;

/**
 * Upgrades a store from `from` to `from + 1` in place. Migrations run under the store's migration lock,
 * one version at a time, and must be idempotent (a crash mid-migration re-runs it).
 */
export type Migration = (root: string) => Promise<void>;

/**
 * `MIGRATIONS[n]` upgrades layout version n to n + 1.
 * - 1 → 2: a run's data directory is named by its incarnation (`runs/<run>.<uid>/`), and time-series
 *   appends are framed chunks (a torn or repeated chunk is recognised and skipped).
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = { 1: migrateLayout1 };

const LOCK_FILE = ".migration.lock";
/** A lock older than this is from a crashed migrator and may be taken over. */
const STALE_LOCK_MS = 60_000;

interface FormatFile {
  format: string;
  version: number;
}

function formatJson(version: number): Buffer {
  return Buffer.from(
    `${JSON.stringify({ format: STORE_FORMAT, version, writer: "@exprun/backend-file" }, null, 2)}\n`,
  );
}

function readFormat(root: string): FormatFile | undefined {
  const file = path.join(root, FORMAT_FILE);
  const bytes = readIfExistsSync(file);
  if (!bytes) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    json = undefined;
  }
  const f = json as Partial<FormatFile> | undefined;
  if (f?.format !== STORE_FORMAT || typeof f.version !== "number" || !Number.isInteger(f.version)) {
    throw new BackendError(
      `${file} is not an exprun file-store marker (expected {"format":"${STORE_FORMAT}","version":N}). ` +
        `Point the backend at an exprun store directory, or remove that file if the directory is yours.`,
      { backend: BACKEND },
    );
  }
  return f as FormatFile;
}

/** A lock names its holder's pid; a lock of a process that no longer runs is taken over at once. */
function lockHolderAlive(lock: string): boolean {
  try {
    const pid = Number((readIfExistsSync(lock)?.toString("utf8") ?? "").trim());
    return !Number.isInteger(pid) || pid <= 0 || isAlive(pid);
  } catch {
    return true;
  }
}

async function withLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(root, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, "wx", 0o666);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw fsError("create the lock", lock, error);
      const info = await stat(lock).catch(() => undefined);
      if (info && (Date.now() - info.mtimeMs > STALE_LOCK_MS || !lockHolderAlive(lock))) {
        await unlink(lock).catch(() => {});
      } else await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** Math.min(attempt, 5), 1000)));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
  }
}

/**
 * Opens (and on first use creates) the store at `root`: checks the format marker, and migrates an older
 * layout with `migrations`. A newer layout than this package knows is a `BackendError`.
 */
export async function openStore(
  root: string,
  sync: boolean,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
  version: number = FORMAT_VERSION,
): Promise<void> {
  let found = readFormat(root);
  if (!found) {
    await ensureDirs(root, sync);
    await createExclusive(path.join(root, FORMAT_FILE), formatJson(version), sync);
    found = readFormat(root);
  }
  if (!found) throw fsError("read", path.join(root, FORMAT_FILE), new Error("missing after creation"));
  if (found.version > version) {
    throw new BackendError(
      `The store at ${root} has layout version ${found.version}, newer than this @exprun/backend-file ` +
        `understands (${version}). Upgrade @exprun/backend-file.`,
      { backend: BACKEND },
    );
  }
  if (found.version === version) return;
  const from = found.version;
  try {
    await withLock(root, async () => {
      let current = readFormat(root)?.version ?? version;
      while (current < version) {
        const migrate = migrations[current];
        if (!migrate) {
          throw new BackendError(
            `No migration from layout version ${current} of the store at ${root}. Use the ` +
              `@exprun/backend-file version that wrote it to export the data.`,
            { backend: BACKEND },
          );
        }
        await migrate(root);
        current++;
        await replaceFile(path.join(root, FORMAT_FILE), formatJson(current), sync);
      }
    });
  } catch (error) {
    if (error instanceof BackendError && error.message.includes("No migration")) throw error;
    const reason =
      error instanceof Error ? error.message.replace(/^\[exprun\] \[file\] /, "") : String(error);
    throw new BackendError(
      `Cannot upgrade the store at ${root} from layout version ${from} to ${version}: ${reason}`,
      { backend: BACKEND, cause: error },
    );
  }
}

/** The store's layout version, or `undefined` when it has no marker (yet). */
export function readFormatVersion(root: string): number | undefined {
  try {
    return readFormat(root)?.version;
  } catch {
    return undefined;
  }
}
