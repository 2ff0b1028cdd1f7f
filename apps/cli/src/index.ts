export { type CliIo, Context, type GlobalOptions } from "./context.js";
export { type CopyOptions, copyStore } from "./copy/copy-store.js";
export type { CopySummary } from "./copy/summary.js";
export { EXIT_OK, EXIT_STORE, EXIT_USAGE, exitCodeOf, StoreError, UsageError } from "./errors.js";
export { buildProgram, run } from "./program.js";
