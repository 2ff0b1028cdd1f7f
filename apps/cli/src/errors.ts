import { isExprunError } from "@exprun/core";
import { safeLines } from "./format/safe.js";

/** Bad usage or input found by the CLI itself (exit code 1). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Something the CLI found wrong in a store (a failed copy check): exit code 2. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreError";
  }
}

export const EXIT_OK = 0;
export const EXIT_USAGE = 1;
export const EXIT_STORE = 2;

/**
 * Exit code for an error: 1 for input the user can fix (usage, validation, not found, wrong type,
 * name taken, a lost race); 2 for store or transport failures and anything unexpected.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof StoreError) return EXIT_STORE;
  if (isExprunError(error)) return error.code === "BACKEND" ? EXIT_STORE : EXIT_USAGE;
  return EXIT_STORE;
}

/**
 * The one-line message shown without `--verbose` (a filter error adds the expression and a caret).
 * Messages quote store text (names, keys), so control characters in them are escaped.
 */
export function shortMessage(error: unknown): string {
  return safeLines(plainMessage(error));
}

function plainMessage(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message.startsWith("[exprun]") ? error.message : `[exprun] ${error.message}`;
    if (exitCodeOf(error) === EXIT_STORE && !isExprunError(error) && !(error instanceof StoreError)) {
      return `${message} (unexpected ${error.name}; run again with --verbose for the stack)`;
    }
    return message;
  }
  return `[exprun] ${String(error)}`;
}

/** The stack and the chain of causes, shown with `--verbose`, escaped as {@link shortMessage} is. */
export function verboseMessage(error: unknown): string {
  return safeLines(verboseText(error));
}

function verboseText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  let depth = 0;
  while (current !== undefined && current !== null && depth < 5) {
    if (current instanceof Error)
      parts.push(
        depth === 0 ? (current.stack ?? current.message) : `Caused by: ${current.stack ?? current.message}`,
      );
    else parts.push(`Caused by: ${String(current)}`);
    current = current instanceof Error ? current.cause : undefined;
    depth++;
  }
  return parts.join("\n");
}
