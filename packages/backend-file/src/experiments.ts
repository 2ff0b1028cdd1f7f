import { readdir, rename } from "node:fs/promises";
import path from "node:path";
import type { ExperimentRecord, NewExperiment, Page, PageRequest } from "@exprun/core";
import { AlreadyExistsError, NotFoundError } from "@exprun/core";
import {
  appendData,
  BACKEND,
  createExclusive,
  ensureDir,
  fsError,
  isMissing,
  removeTree,
  uid,
} from "./fsio.js";
import { toLines } from "./jsonl.js";
import { isSafeSegment } from "./paths.js";
import type { SeriesStore } from "./series-store.js";
import type { FileStore } from "./store.js";

function notFound(name: string): NotFoundError {
  return new NotFoundError(`Experiment "${name}" not found. Create it first (Experiment.create).`, {
    backend: BACKEND,
  });
}

/**
 * Experiments: one directory each under `experiments/`, named by the experiment. Its
 * `experiment.jsonl` starts with the `create` record; creating it with link(2) makes exactly one of
 * racing creators win. Deleting renames the directory into `.trash/` first (atomic), then removes it.
 */
export class Experiments {
  constructor(
    private readonly store: FileStore,
    private readonly series: SeriesStore,
  ) {}

  async create(input: NewExperiment): Promise<ExperimentRecord> {
    const file = this.store.paths.experimentLog(input.name);
    await this.store.open();
    const t = Date.now();
    const record: Record<string, unknown> = {
      op: "create",
      uid: uid(),
      t,
      description: input.description ?? "",
    };
    if (input.backingTensorboard !== undefined) record.backingTensorboard = input.backingTensorboard;
    for (let attempt = 0; ; attempt++) {
      try {
        await ensureDir(this.store.paths.experiments, this.store.sync);
        await ensureDir(path.dirname(file), this.store.sync);
        if (!(await createExclusive(file, toLines([record]), this.store.sync))) {
          throw new AlreadyExistsError(
            `Experiment "${input.name}" already exists. Use Experiment.get, or another name.`,
            {
              backend: BACKEND,
            },
          );
        }
        break;
      } catch (error) {
        // A concurrent delete renamed the directory away between mkdir and link: try again.
        if (!isMissing(error) || attempt >= 5) throw error;
      }
    }
    const entry = await this.store.requireExperiment(input.name);
    return { ...entry.record };
  }

  async get(name: string): Promise<ExperimentRecord | undefined> {
    const entry = await this.store.readExperiment(name);
    return entry ? { ...entry.record } : undefined;
  }

  /** In name order; the page token is the last name returned. */
  async list(page?: PageRequest): Promise<Page<ExperimentRecord>> {
    await this.store.open();
    let names: string[];
    try {
      names = await readdir(this.store.paths.experiments);
    } catch (error) {
      if (isMissing(error)) return { items: [] };
      throw fsError("list", this.store.paths.experiments, error);
    }
    const after = page?.pageToken ?? "";
    const size = page?.pageSize && page.pageSize > 0 ? page.pageSize : Number.POSITIVE_INFINITY;
    const items: ExperimentRecord[] = [];
    // Foreign entries (names exprun never writes) are skipped; so are half-created experiments.
    for (const name of names.filter((n) => isSafeSegment(n) && n > after).sort()) {
      const entry = await this.store.readExperiment(name);
      if (!entry) continue;
      if (items.length >= size) return { items, nextPageToken: items[items.length - 1]!.name };
      items.push({ ...entry.record });
    }
    return { items };
  }

  async update(
    name: string,
    patch: { description?: string; backingTensorboard?: string },
  ): Promise<ExperimentRecord> {
    await this.store.requireExperiment(name);
    const record: Record<string, unknown> = { op: "update", t: Date.now() };
    if (patch.description !== undefined) record.description = patch.description;
    if (patch.backingTensorboard !== undefined) record.backingTensorboard = patch.backingTensorboard;
    try {
      await appendData(this.store.paths.experimentLog(name), toLines([record]), this.store.sync, false);
    } catch (error) {
      if (isMissing(error)) throw notFound(name);
      throw error;
    }
    const entry = await this.store.requireExperiment(name);
    return { ...entry.record };
  }

  async delete(name: string): Promise<void> {
    const dir = this.store.paths.experimentDir(name);
    await this.store.requireExperiment(name);
    const trash = this.store.paths.trash;
    await ensureDir(trash);
    const target = path.join(trash, `${name}.${uid()}`);
    try {
      await rename(dir, target);
    } catch (error) {
      if (isMissing(error)) throw notFound(name);
      throw fsError("delete", dir, error);
    }
    this.series.dropExperiment(name);
    this.store.forgetExperiment(name);
    await removeTree(target);
  }
}
