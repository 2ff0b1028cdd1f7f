// Opens the file store in a child process of the conformance suite (options.childProcess), from the
// built package, as a user's worker process would.
import { createFileBackend } from "../dist/index.js";

export const openBackend = (config) => createFileBackend(config);
