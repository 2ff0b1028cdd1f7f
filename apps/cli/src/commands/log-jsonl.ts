import { type ExperimentRun, parseJson, parseRunState, parseWallTime } from "@exprun/core";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { getRun } from "../resolve.js";

interface Line {
  run?: unknown;
  experiment?: unknown;
  params?: unknown;
  metrics?: unknown;
  series?: unknown;
  step?: unknown;
  wall_time?: unknown;
  state?: unknown;
  classification?: unknown;
}

const KEYS = new Set([
  "run",
  "experiment",
  "params",
  "metrics",
  "series",
  "step",
  "wall_time",
  "state",
  "classification",
]);

/** Applies JSON lines from stdin in order; stops at the first bad line with its number. */
export async function readJsonl(
  ctx: Context,
  defaults: { run: string | undefined; experiment: string | undefined; create: boolean },
): Promise<{ lines: number; runs: string[] }> {
  const backend = await ctx.backend();
  const runs = new Map<string, ExperimentRun>();
  let lineNo = 0;
  let applied = 0;
  // Loaded here, not at start-up: the CLI is one bundle, so a static import would cost every command.
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: ctx.io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of rl) {
    lineNo++;
    const text = raw.trim();
    if (text === "") continue;
    const where = `stdin line ${lineNo}:`;
    try {
      let line: Line;
      try {
        line = parseJson<Line>(text);
      } catch (error) {
        throw new UsageError(`not JSON (${(error as Error).message}).`);
      }
      if (typeof line !== "object" || line === null || Array.isArray(line))
        throw new UsageError("not a JSON object.");
      const unknown = Object.keys(line).filter((k) => !KEYS.has(k));
      if (unknown.length)
        throw new UsageError(`unknown key(s) ${unknown.join(", ")}; allowed: ${[...KEYS].join(", ")}.`);
      const runSpec = optionalString(line.run, "run") ?? defaults.run;
      if (!runSpec) throw new UsageError('no run named: add "run" to the line or pass --run.');
      const experiment = optionalString(line.experiment, "experiment") ?? defaults.experiment;
      const key = `${experiment ?? ""}/${runSpec}`;
      let run = runs.get(key);
      if (!run) {
        run = await getRun(backend, runSpec, experiment, defaults.create);
        runs.set(key, run);
      }
      if (line.params !== undefined) await run.logParams(line.params as Record<string, never>);
      if (line.metrics !== undefined) await run.logMetrics(line.metrics as Record<string, never>);
      if (line.series !== undefined) {
        const step = line.step;
        if (step !== undefined && typeof step !== "number") throw new UsageError('"step" must be a number.');
        await run.logTimeSeriesMetrics(line.series as Record<string, number>, {
          ...(step === undefined ? {} : { step }),
          ...(line.wall_time === undefined ? {} : { wallTime: parseWallTime(line.wall_time, '"wall_time"') }),
        });
      } else if (line.step !== undefined || line.wall_time !== undefined) {
        throw new UsageError('"step" and "wall_time" need "series".');
      }
      if (line.classification !== undefined) await run.logClassificationMetrics(line.classification as never);
      if (line.state !== undefined) {
        const state = parseRunState(line.state);
        if (state === "RUNNING") await run.updateState("RUNNING");
        else await run.endRun({ state });
      }
      applied++;
    } catch (error) {
      rl.close();
      const message =
        error instanceof Error ? error.message.replace(/^\[exprun\] (\[[^\]]+\] )?/, "") : String(error);
      const done = applied ? ` The ${applied} line(s) before it were logged.` : "";
      const wrapped = new UsageError(`${where} ${message}${done}`, { cause: error });
      if (
        error instanceof Error &&
        !(error instanceof UsageError) &&
        (error as { code?: string }).code === "BACKEND"
      )
        throw error;
      throw wrapped;
    }
  }
  return { lines: applied, runs: [...runs.values()].map((r) => `${r.experiment}/${r.name}`) };
}

function optionalString(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new UsageError(`"${key}" must be a non-empty string.`);
  return value;
}
