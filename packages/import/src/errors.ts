import { ValidationError } from "@exprun/core";

/**
 * The path given is not what the importer reads (not an mlruns folder, no event files, not a W&B
 * run). A `ValidationError`, so the CLI exits 1; the message says what was expected.
 */
export class UnsupportedSourceError extends ValidationError {
  constructor(message: string) {
    super(message, { backend: "import" });
    this.name = "UnsupportedSourceError";
  }
}
