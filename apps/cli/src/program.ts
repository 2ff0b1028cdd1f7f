import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerCliBackends } from "./backends.js";
import { registerCompare } from "./commands/compare.js";
import { registerCopy } from "./commands/copy.js";
import { registerDemo } from "./commands/demo.js";
import { registerExperiments } from "./commands/experiments.js";
import { registerExport } from "./commands/export.js";
import { registerLog } from "./commands/log.js";
import { registerPlot } from "./commands/plot.js";
import { registerRuns } from "./commands/runs.js";
import type { CliIo } from "./context.js";
import { exitCodeOf, shortMessage, verboseMessage } from "./errors.js";

function version(): string {
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

/** Builds the command tree; the actions write to `io`. */
export function buildProgram(io: CliIo): Command {
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
      outputError: (s, write) => write(`[exprun] ${s.replace(/^error: /, "")}`),
    })
    .addHelpText("after", GLOBAL_HELP);
  registerExperiments(program, io);
  registerRuns(program, io);
  registerLog(program, io);
  registerCompare(program, io);
  registerPlot(program, io);
  registerExport(program, io);
  registerCopy(program, io);
  registerDemo(program, io);
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
  registerCliBackends();
  const program = buildProgram(io);
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
