import {
  type ArtifactRecord,
  type ExecutionRecord,
  type ExperimentRecord,
  experimentNotFound,
  type Page,
  type PageRequest,
  type RunChild,
  type RunRecord,
  type RunRef,
  resourceNotFound,
  runNotFound,
} from "@exprun/core";
import type { RunSeries } from "./memory-series.js";

export const MEMORY_BACKEND_NAME = "memory";
const backend = MEMORY_BACKEND_NAME;

export interface StoredRun {
  record: RunRecord;
  /** Columns per metric, in series creation order. */
  series: RunSeries;
  artifacts: Set<string>;
  executions: Set<string>;
  children: Map<string, RunChild>;
}

export interface StoredExperiment {
  record: ExperimentRecord;
  runs: Map<string, StoredRun>;
}

/** The whole store: plain maps, and the lookups every group of methods shares. */
export class MemoryStore {
  readonly experiments = new Map<string, StoredExperiment>();
  readonly artifacts = new Map<string, ArtifactRecord>();
  readonly executions = new Map<string, ExecutionRecord>();
  #ids = 0;
  #clock = 0;

  constructor(
    readonly maxPage: number,
    readonly seriesChunkPoints: number,
  ) {}

  /** Strictly increasing timestamps keep creation order observable even within one millisecond. */
  now(): number {
    this.#clock = Math.max(this.#clock + 1, Date.now());
    return this.#clock;
  }

  newId(kind: "artifact" | "execution"): string {
    return `${kind}-${++this.#ids}-${Math.random().toString(36).slice(2, 10)}`;
  }

  experimentOf(name: string): StoredExperiment {
    const found = this.experiments.get(name);
    if (!found) throw experimentNotFound(name, { backend });
    return found;
  }

  /** The run `ref` addresses: a run re-created since `ref.incarnation` is not it. */
  findRun(ref: RunRef): StoredRun | undefined {
    const found = this.experiments.get(ref.experiment)?.runs.get(ref.run);
    if (!found || (ref.incarnation !== undefined && found.record.incarnation !== ref.incarnation))
      return undefined;
    return found;
  }

  runOf(ref: RunRef): StoredRun {
    const found = this.findRun(ref);
    if (found) return found;
    this.experimentOf(ref.experiment); // which of the two is missing decides the message
    throw runNotFound(ref, { backend });
  }

  artifactOf(id: string): ArtifactRecord {
    const found = this.artifacts.get(id);
    if (!found) throw resourceNotFound("Artifact", id, { backend });
    return found;
  }

  executionOf(id: string): ExecutionRecord {
    const found = this.executions.get(id);
    if (!found) throw resourceNotFound("Execution", id, { backend });
    return found;
  }

  page<T>(items: T[], request: PageRequest = {}): Page<T> {
    const start = request.pageToken ? Number(request.pageToken) : 0;
    const size = Math.max(1, Math.min(request.pageSize ?? this.maxPage, this.maxPage));
    const end = start + size;
    return { items: items.slice(start, end), nextPageToken: end < items.length ? String(end) : undefined };
  }
}

export function copyRun(record: RunRecord): RunRecord {
  return {
    ...record,
    params: { ...record.params },
    metrics: { ...record.metrics },
    tags: { ...record.tags },
  };
}
