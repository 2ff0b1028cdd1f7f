import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A real tmpfs of a fixed size, mounted for one test file (root only: CI runs as root). */
export interface Tmpfs {
  dir: string;
  remount(options: "ro" | "rw"): void;
  unmount(): void;
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * Mounts a tmpfs of `size` (e.g. "2m"); resolves a reason string when this machine refuses the mount
 * (not root, no mount namespace). Callers print the reason and skip only then.
 */
export function mountTmpfs(size: string): Tmpfs | string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "exprun-tmpfs-"));
  try {
    run("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0777`, "tmpfs", dir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `cannot mount a ${size} tmpfs here (${stderr || (error as Error).message})`;
  }
  let mounted = true;
  return {
    dir,
    remount(options) {
      run("mount", ["-o", `remount,${options}`, dir]);
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      run("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
