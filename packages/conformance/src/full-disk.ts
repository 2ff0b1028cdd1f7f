import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";
import type { RestoreFault } from "./options.js";

/**
 * A full disk, for the fault hook of a store on the local filesystem (`options.faults.failWrites`):
 * until the returned function is called, every write to a file whose absolute path `matches` fails
 * with `ENOSPC`, in this process. It replaces the write entry points of `node:fs` and
 * `node:fs/promises` (`open`/`openSync` for writing, `writeFile`, `appendFile`, their sync forms,
 * `rename` onto a matching path) and syncs their ES module bindings (`module.syncBuiltinESMExports`),
 * so the store's own imports see the fault without the store knowing about it.
 *
 * ```ts
 * faults: { failWrites: (backend, run) => simulateFullDisk((file) => file.startsWith(rootOf(backend))) }
 * ```
 */
export function simulateFullDisk(matches: (file: string) => boolean): RestoreFault {
  const hit = (file: unknown) =>
    (typeof file === "string" || file instanceof URL || Buffer.isBuffer(file)) &&
    matches(path.resolve(file instanceof URL ? file.pathname : String(file)));
  const writing = (flags: unknown) =>
    typeof flags === "number"
      ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0
      : typeof flags === "string" && /[wa+]/.test(flags);
  const full = (syscall: string, file: unknown) =>
    Object.assign(new Error(`ENOSPC: no space left on device, ${syscall} '${String(file)}'`), {
      code: "ENOSPC",
      errno: -28,
      syscall,
      path: String(file),
    });
  type Fn = (...args: unknown[]) => unknown;
  const sync = fs as unknown as Record<string, Fn>;
  const promises = fs.promises as unknown as Record<string, Fn>;
  const saved = {
    sync: { ...pick(sync, ["openSync", "writeFileSync", "appendFileSync", "renameSync"]) },
    promises: { ...pick(promises, ["open", "writeFile", "appendFile", "rename"]) },
  };
  const guard =
    (target: Record<string, Fn>, name: string, refuses: (args: unknown[]) => boolean, async: boolean) =>
    (...args: unknown[]) => {
      if (refuses(args)) {
        const error = full(name.replace(/Sync$/, ""), args[0]);
        if (async) return Promise.reject(error);
        throw error;
      }
      return target[name]!(...args);
    };
  const originals = {
    sync: saved.sync as Record<string, Fn>,
    promises: saved.promises as Record<string, Fn>,
  };
  sync.openSync = guard(originals.sync, "openSync", (a) => hit(a[0]) && writing(a[1]), false);
  sync.writeFileSync = guard(originals.sync, "writeFileSync", (a) => hit(a[0]), false);
  sync.appendFileSync = guard(originals.sync, "appendFileSync", (a) => hit(a[0]), false);
  sync.renameSync = guard(originals.sync, "renameSync", (a) => hit(a[1]), false);
  promises.open = guard(originals.promises, "open", (a) => hit(a[0]) && writing(a[1]), true);
  promises.writeFile = guard(originals.promises, "writeFile", (a) => hit(a[0]), true);
  promises.appendFile = guard(originals.promises, "appendFile", (a) => hit(a[0]), true);
  promises.rename = guard(originals.promises, "rename", (a) => hit(a[1]), true);
  syncBuiltinESMExports();
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    Object.assign(sync, saved.sync);
    Object.assign(promises, saved.promises);
    syncBuiltinESMExports();
  };
}

function pick<T extends Record<string, unknown>>(from: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, from[k]]));
}
