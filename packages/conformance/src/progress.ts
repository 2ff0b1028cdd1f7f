import { writeSync } from "node:fs";
import { isatty } from "node:tty";

/**
 * Whether to print a line as each group and test starts. vitest's terminal reporter already shows the
 * running test; in CI logs and pipes nothing shows until a file ends, so a hang would show nowhere.
 * vitest runs test files in child processes whose stdio are pipes either way, and tells them whether
 * its own output is a terminal in `FORCE_TTY`.
 */
export function progressWanted(option: boolean | undefined): boolean {
  const forced = process.env.EXPRUN_CONFORMANCE_PROGRESS;
  if (forced === "1" || forced === "true") return true;
  if (forced === "0" || forced === "false") return false;
  if (option !== undefined) return option;
  const onTerminal = process.env.VITEST ? process.env.FORCE_TTY === "true" : isatty(2);
  return !onTerminal;
}

/** Prints one progress line to stderr at once (synchronously: it must be out before a hang). */
export function printProgress(line: string): void {
  try {
    writeSync(2, `[exprun] [conformance] ${line}\n`);
  } catch {
    // A closed stderr must not fail a test.
  }
}
