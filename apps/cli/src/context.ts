import { existsSync } from "node:fs";
import path from "node:path";
import { type CheckedBackend, defaultBackendUri, NotFoundError, parseBackendUri } from "@exprun/core";
import { openCliBackend } from "./backends.js";
import { type Colors, colorEnabled, makeColors } from "./format/colors.js";
import { toJson } from "./format/json.js";
import { safe } from "./format/safe.js";
import { invocation } from "./install.js";

/** A word quoted for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${safe(word).replace(/'/g, "'\\''")}'`;
}

/** The streams and environment a command runs with; `process`'s in the real binary. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Options every command accepts. */
export interface GlobalOptions {
  backend?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
}

/** What a command gets: output helpers, colours, and the store named by `--backend`. */
export class Context {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  readonly colors: Colors;
  readonly errColors: Colors;
  readonly #backends = new Map<string, Promise<CheckedBackend>>();

  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
    this.colors = makeColors(colorEnabled(io.stdout, io.env, options.color));
    this.errColors = makeColors(colorEnabled(io.stderr, io.env, options.color));
  }

  get json(): boolean {
    return this.options.json === true;
  }

  /** The URI of the store: `--backend`, else `EXPRUN_BACKEND`, else the file store `./.exprun`. */
  get backendUri(): string {
    return this.options.backend ?? defaultBackendUri(this.io.env);
  }

  /** Opens a store once per URI. Only the package the URI names is imported. */
  backend(uri: string = this.backendUri): Promise<CheckedBackend> {
    let opened = this.#backends.get(uri);
    if (!opened) {
      opened = openCliBackend(uri, this.io.env);
      this.#backends.set(uri, opened);
    }
    return opened;
  }

  /**
   * The store for a command that only reads (or changes what must already exist): a file store that
   * does not exist yet is reported instead of being created as a side effect.
   */
  existingBackend(uri: string = this.backendUri): Promise<CheckedBackend> {
    const parts = parseBackendUri(uri);
    if (parts.scheme === "file") {
      const root = path.resolve(parts.path || this.io.env.EXPRUN_HOME || ".exprun");
      if (!existsSync(root)) {
        return Promise.reject(
          new NotFoundError(
            `No exprun store at ${root} (nothing has been logged there). Log a run first (e.g. exprun demo), ` +
              `or point --backend or EXPRUN_BACKEND at your store.`,
            { backend: "file" },
          ),
        );
      }
    }
    return this.backend(uri);
  }

  /** Flushes and closes every store this command opened. */
  async close(): Promise<void> {
    const opened = [...this.#backends.values()];
    this.#backends.clear();
    for (const pending of opened) {
      const backend = await pending.catch(() => undefined);
      await backend?.close?.();
    }
  }

  /**
   * A command line to suggest: `pnpm exprun …` when this CLI runs from the repository (where
   * `exprun` is not on PATH), `exprun …` when installed; with `--backend` when one was given.
   */
  command(rest: string, options: { withBackend?: boolean } = {}): string {
    const backend =
      options.withBackend && this.options.backend !== undefined
        ? ` --backend ${shellWord(this.options.backend)}`
        : "";
    return `${invocation()} ${rest}${backend}`;
  }

  /** The experiment a command works on when none is given: `EXPRUN_EXPERIMENT`. */
  defaultExperiment(): string | undefined {
    return this.io.env.EXPRUN_EXPERIMENT || undefined;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Human notes on stderr (never part of machine output). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Writes machine output as JSON. */
  printJson(value: unknown): void {
    this.out(toJson(value));
  }

  get terminalWidth(): number {
    return this.io.stdout.columns && this.io.stdout.columns > 20 ? this.io.stdout.columns : 100;
  }

  /** Progress bars go to stderr and only when it is a terminal . */
  get progressEnabled(): boolean {
    return this.io.stderr.isTTY === true && this.io.env.TERM !== "dumb";
  }
}
