import { mkdir, open, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { BackendError } from "@exprun/core";
import { BACKEND, createExclusive, errorCode, fsError, readIfExists, replaceFile, syncDir } from "./fsio.js";

/** The name of the file that marks a directory as an exprun store and states its layout version. */
export const FORMAT_FILE = "exprun-store.json";
export const STORE_FORMAT = "exprun-file-store";
/** The layout this package writes. Bump it, and add a migration, when the layout changes. */
export const FORMAT_VERSION = 1;

/**
 * Upgrades a store from `from` to `from + 1` in place. Migrations run under the store's migration lock,
 * one version at a time, and must be idempotent (a crash mid-migration re-runs it).
 */
export type Migration = (root: string) => Promise<void>;

/** `MIGRATIONS[n]` upgrades layout version n to n + 1. Version 1 is the first layout: nothing yet. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {};

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

async function readFormat(root: string): Promise<FormatFile | undefined> {
  const file = path.join(root, FORMAT_FILE);
  const bytes = await readIfExists(file);
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
      if (info && Date.now() - info.mtimeMs > STALE_LOCK_MS) await unlink(lock).catch(() => {});
      else await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** Math.min(attempt, 5), 1000)));
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
  try {
    const created = await mkdir(root, { recursive: true, mode: 0o777 });
    if (created !== undefined && sync) await syncDir(path.dirname(root));
  } catch (error) {
    throw fsError("create the store directory", root, error);
  }
  let found = await readFormat(root);
  if (!found) {
    await createExclusive(path.join(root, FORMAT_FILE), formatJson(version), sync);
    found = await readFormat(root);
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
  await withLock(root, async () => {
    let current = (await readFormat(root))?.version ?? version;
    while (current < version) {
      const migrate = migrations[current];
      if (!migrate) {
        throw new BackendError(
          `No migration from layout version ${current} of the store at ${root}. Use the @exprun/backend-file ` +
            `version that wrote it to export the data.`,
          { backend: BACKEND },
        );
      }
      await migrate(root);
      current++;
      await replaceFile(path.join(root, FORMAT_FILE), formatJson(current), sync);
    }
  });
}
