import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import type { CliIo } from "./context.js";
import { exitCodeOf, shortMessage, verboseMessage } from "./errors.js";
import { safeLines } from "./format/safe.js";

/** Set by the bundler (scripts/bundle.mjs); the unbundled build reads package.json. */
declare const EXPRUN_CLI_VERSION: string | undefined;

function version(): string {
  if (typeof EXPRUN_CLI_VERSION === "string") return EXPRUN_CLI_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

const GLOBAL_HELP = `
Stores (--backend URI, or EXPRUN_BACKEND; default: the file store ./.exprun):
  file:PATH | PATH           a directory on this machine
  memory:                    this process only (useful as a copy target for checks)
  s3://bucket/prefix         AWS S3 or any S3-compatible store
  vertex://project/location  Vertex AI Experiments

Exit codes: 0 ok, 1 bad usage or input (unknown run, invalid value), 2 store or transport failure.
Colour only on a terminal; set NO_COLOR to turn it off.

Examples:
  $ exprun demo                                  train a small model, log runs, show the table and loss chart
  $ exprun runs list --filter 'metric.val_accuracy > 0.9' --sort metric.val_accuracy:desc
  $ exprun runs show demo/mlp-h16-lr0-3
  $ exprun copy --from ./.exprun --to s3://team-bucket/exprun`;

type Register = (program: Command, io: CliIo) => void;

/** Each command group's module, imported only when the command line names it (fast start-up). */
const GROUPS: Record<string, () => Promise<Register>> = {
  experiments: async () => (await import("./commands/experiments.js")).registerExperiments,
  runs: async () => (await import("./commands/runs/index.js")).registerRuns,
  log: async () => (await import("./commands/log.js")).registerLog,
  compare: async () => (await import("./commands/compare.js")).registerCompare,
  plot: async () => (await import("./commands/plot.js")).registerPlot,
  export: async () => (await import("./commands/export.js")).registerExport,
  copy: async () => (await import("./commands/copy.js")).registerCopy,
  import: async () => (await import("./commands/import.js")).registerImport,
  demo: async () => (await import("./commands/demo.js")).registerDemo,
  ui: async () => (await import("./commands/ui.js")).registerUi,
};
const ALIASES: Record<string, string> = { exp: "experiments" };

/** The first word of the command line that is not a root option or its value. */
function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-b" || arg === "--backend") i++;
    else if (!arg.startsWith("-")) return ALIASES[arg] ?? arg;
  }
  return undefined;
}

/**
 * Builds the command tree; the actions write to `io`. With `argv`, only the command group it names
 * is loaded (every group when it names none, e.g. for `exprun --help`).
 */
export async function buildProgram(io: CliIo, argv?: string[]): Promise<Command> {
  const program = new Command("exprun");
  program
    .description(
      "Look at, log and copy experiment runs (Vertex AI ExperimentRun semantics) on any exprun store.",
    )
    .version(version(), "-V, --version", "print the version")
    // Each command parses its own options, so `log --run` and `log params --run` do not collide.
    .enablePositionalOptions()
    .helpOption("-h, --help", "show help with examples")
    .showHelpAfterError("(add --help for usage and examples)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(safeLines(`[exprun] ${s.replace(/^error: /, "")}`)),
    })
    .addHelpText("after", GLOBAL_HELP);
  const name = argv && commandName(argv);
  const groups = name && GROUPS[name] ? [GROUPS[name]] : Object.values(GROUPS);
  for (const register of await Promise.all(groups.map((load) => load()))) register(program, io);
  addGlobalOptions(program);
  for (const command of commandsWithActions(program)) addGlobalOptions(command);
  return program;
}

/** Options every command accepts, before or after its own. */
function addGlobalOptions(command: Command): void {
  command
    .option("-b, --backend <uri>", "store URI (default: $EXPRUN_BACKEND, else file:./.exprun)")
    .option("--json", "machine-readable JSON on stdout")
    .option("-v, --verbose", "show stacks and causes of errors")
    .option("--no-color", "never colour the output");
}

function commandsWithActions(command: Command): Command[] {
  const out: Command[] = [];
  for (const sub of command.commands) {
    const hasAction = (sub as unknown as { _actionHandler?: unknown })._actionHandler != null;
    if (hasAction) out.push(sub);
    out.push(...commandsWithActions(sub));
  }
  return out;
}

/** Runs the CLI with `argv` (without `node` and the script) and resolves the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const program = await buildProgram(io, argv);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    const verbose = argv.includes("--verbose") || argv.includes("-v");
    io.stderr.write(`${verbose ? verboseMessage(error) : shortMessage(error)}\n`);
    return exitCodeOf(error);
  }
}
