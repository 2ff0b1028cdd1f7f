import path from "node:path";
import { createFileBackend } from "@exprun/backend-file";
import { createMemoryBackend } from "@exprun/backend-memory";
import { type CheckedBackend, collectPages, type RunRecord, type Value } from "@exprun/core";
import { afterEach } from "vitest";
import { tempDir } from "./helpers.js";

/** The stores every importer is tested into: memory, and a file store in a temporary folder. */
export const STORES: { name: string; open(): CheckedBackend }[] = [
  { name: "memory", open: () => track(createMemoryBackend()) },
  {
    name: "file",
    open: () => track(createFileBackend({ root: path.join(tempDir(), "store"), fsync: false })),
  },
];

const opened: CheckedBackend[] = [];
afterEach(async () => {
  for (const backend of opened.splice(0)) await backend.close?.();
});
function track(backend: CheckedBackend): CheckedBackend {
  opened.push(backend);
  return backend;
}

/** A run as the store holds it, with its whole series (tests only). */
export interface StoredRun {
  experiment: string;
  name: string;
  runType: string;
  state: string;
  params: Record<string, Value>;
  metrics: Record<string, Value>;
  tags: Record<string, string>;
  description: string;
  createTime: number;
  updateTime: number;
  series: Record<string, { steps: number[]; wallTimes: number[]; values: number[] }>;
}

/** Every run of every experiment of a store, read back through core, with its series. */
export async function storedRuns(backend: CheckedBackend): Promise<StoredRun[]> {
  const out: StoredRun[] = [];
  for (const experiment of await collectPages((page) => backend.listExperiments(page))) {
    for (const run of await collectPages((page) => backend.listRuns(experiment.name, page))) {
      out.push(await storedRun(backend, run));
    }
  }
  return out;
}

async function storedRun(backend: CheckedBackend, run: RunRecord): Promise<StoredRun> {
  const series: StoredRun["series"] = {};
  for await (const chunk of backend.readSeries({ experiment: run.experiment, run: run.name })) {
    series[chunk.metric] ??= { steps: [], wallTimes: [], values: [] };
    const s = series[chunk.metric]!;
    s.steps.push(...chunk.steps);
    s.wallTimes.push(...chunk.wallTimes);
    s.values.push(...chunk.values);
  }
  return {
    experiment: run.experiment,
    name: run.name,
    runType: run.runType,
    state: run.state,
    params: run.params,
    metrics: run.metrics,
    tags: run.tags,
    description: run.description,
    createTime: run.createTime,
    updateTime: run.updateTime,
    series,
  };
}

/** The run named `experiment/name`, or a failed expectation listing what the store has. */
export function find(runs: StoredRun[], id: string): StoredRun {
  const run = runs.find((r) => `${r.experiment}/${r.name}` === id);
  if (!run)
    throw new Error(`${id} is not in the store: ${runs.map((r) => `${r.experiment}/${r.name}`).join(", ")}`);
  return run;
}
