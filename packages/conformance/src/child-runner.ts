/**
 * The program a child process of the conformance suite runs (`node child-runner.js <task JSON>`): it
 * opens the store with the store test's `childProcess.module`, does one task, and reports on stdout,
 * one JSON object a line. Not part of the public API.
 */
import { createInterface } from "node:readline";
import { type Backend, checkBackend, type RunRef, type TimeSeriesWrite } from "@exprun/core";

/** Writes `params` param/metric/tag keys and `points` points of metric `w<worker>` to one run, then flushes and closes. */
export interface WriteTask {
  kind: "write";
  ref: RunRef;
  worker: number;
  params: number;
  points: number;
}

/** Appends `points` points, reports "ready", and on the line "exit" exits without flush() or close(). */
export interface HoldTask {
  kind: "hold";
  ref: RunRef;
  metric: string;
  points: number;
}

export interface ChildSpec {
  module: string;
  config: unknown;
  task: WriteTask | HoldTask;
}

export type ChildEvent =
  | { event: "opened" }
  | { event: "ready" }
  | { event: "done" }
  | { event: "error"; message: string; code?: string };

function send(event: ChildEvent): void {
  // Writes to a pipe are synchronous on Linux and macOS: the line is out before an exit that follows.
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function open(spec: ChildSpec): Promise<Backend> {
  const loaded = (await import(spec.module)) as { openBackend?: unknown; default?: unknown };
  const factory = loaded.openBackend ?? loaded.default;
  if (typeof factory !== "function") {
    throw new Error(`${spec.module} exports no openBackend(config) function (options.childProcess.module).`);
  }
  return (await (factory as (config: unknown) => Backend | Promise<Backend>)(spec.config)) as Backend;
}

async function write(backend: Backend, task: WriteTask): Promise<void> {
  const { ref, worker } = task;
  const metric = `w${worker}`;
  const rounds = Math.max(task.params, task.points);
  const perRound = Math.ceil(task.points / Math.max(1, rounds));
  let step = 0;
  for (let i = 0; i < rounds; i++) {
    if (i < task.params) {
      await backend.updateRun(ref, {
        params: { [`w${worker}-p${i}`]: i },
        metrics: { [`w${worker}-m${i}`]: -i },
        tags: { [`w${worker}-t${i}`]: String(i) },
      });
    }
    const writes: TimeSeriesWrite[] = [];
    for (let k = 0; k < perRound && step < task.points; k++, step++) {
      writes.push({ step, wallTime: 1_700_000_000_000 + step, values: { [metric]: step } });
    }
    if (writes.length > 0) await backend.appendTimeSeries(ref, writes);
  }
  await backend.flush?.();
  await backend.close?.();
  send({ event: "done" });
}

async function hold(backend: Backend, task: HoldTask): Promise<void> {
  const writes: TimeSeriesWrite[] = Array.from({ length: task.points }, (_, step) => ({
    step,
    wallTime: 1_700_000_000_000 + step,
    values: { [task.metric]: step },
  }));
  await backend.appendTimeSeries(task.ref, writes);
  send({ event: "ready" });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === "exit") {
      // A plain exit: whatever the store does at exit ('exit' handlers) runs; no flush(), no close().
      process.exit(0);
    }
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "null") as ChildSpec;
  const backend = checkBackend(await open(spec));
  send({ event: "opened" });
  if (spec.task.kind === "write") await write(backend, spec.task);
  else await hold(backend, spec.task);
  // Clients with open sockets or timers must not keep a finished child alive.
  process.exit(0);
}

main().catch((error: unknown) => {
  send({
    event: "error",
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    code: (error as { code?: string } | undefined)?.code,
  });
  process.exit(1);
});
