import { readdirSync } from "node:fs";
import { rename } from "node:fs/promises";
import path from "node:path";
import type { ExperimentRecord, NewExperiment, Page, PageRequest } from "@exprun/core";
import { AlreadyExistsError } from "@exprun/core";
import { linkRefused, notADirectory } from "./fs-errors.js";
import {
  appendData,
  BACKEND,
  createExclusive,
  ensureRealDir,
  entryKind,
  fsError,
  isMissing,
  isRealDir,
  removeTree,
  uid,
} from "./fsio.js";
import { toLines } from "./jsonl.js";
import { isSafeSegment } from "./paths.js";
import type { SeriesStore } from "./series-store.js";
import { experimentNotFound, type FileStore } from "./store.js";

function taken(name: string): AlreadyExistsError {
  return new AlreadyExistsError(`Experiment "${name}" already exists. Use Experiment.get, or another name.`, {
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
    await this.store.openForWrite();
    // One that is there but unreadable (truncated, a link) is reported: never written over, never "taken".
    if (await this.store.readExperiment(input.name)) throw taken(input.name);
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
        await ensureRealDir(this.store.paths.experiments, this.store.sync);
        await ensureRealDir(path.dirname(file), this.store.sync);
        if (!(await createExclusive(file, toLines([record]), this.store.sync))) {
          await this.store.readExperiment(input.name); // a racing creator's, or one that is broken
          throw taken(input.name);
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

  /**
   * In name order; the page token is the last name returned. Entries exprun never writes (files,
   * links, names it would refuse) are not experiments and are skipped; an experiment that cannot be
   * read is an error naming its file.
   */
  async list(page?: PageRequest): Promise<Page<ExperimentRecord>> {
    await this.store.open();
    const dir = this.store.paths.experiments;
    if (!isRealDir(dir)) return { items: [] };
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && isSafeSegment(entry.name))
        .map((entry) => entry.name);
    } catch (error) {
      if (isMissing(error)) return { items: [] };
      throw fsError("list", dir, error);
    }
    const after = page?.pageToken ?? "";
    const size = page?.pageSize && page.pageSize > 0 ? page.pageSize : Number.POSITIVE_INFINITY;
    const items: ExperimentRecord[] = [];
    for (const name of names.filter((n) => n > after).sort()) {
      const entry = await this.store.readExperiment(name);
      if (!entry) continue; // being created
      if (items.length >= size) return { items, nextPageToken: items[items.length - 1]!.name };
      items.push({ ...entry.record });
    }
    return { items };
  }

  async update(
    name: string,
    patch: { description?: string; backingTensorboard?: string },
  ): Promise<ExperimentRecord> {
    await this.store.openForWrite();
    await this.store.requireExperiment(name);
    const record: Record<string, unknown> = { op: "update", t: Date.now() };
    if (patch.description !== undefined) record.description = patch.description;
    if (patch.backingTensorboard !== undefined) record.backingTensorboard = patch.backingTensorboard;
    try {
      await appendData(this.store.paths.experimentLog(name), toLines([record]), this.store.sync, false);
    } catch (error) {
      if (isMissing(error)) throw experimentNotFound(name);
      throw error;
    }
    const entry = await this.store.requireExperiment(name);
    return { ...entry.record };
  }

  /** `.trash/`, created when missing; a link or a file in its place is refused, never followed. */
  private async trash(): Promise<string> {
    const trash = this.store.paths.trash;
    const kind = entryKind(trash);
    if (kind === "link") throw linkRefused(trash);
    if (kind !== "missing" && kind !== "directory") throw notADirectory(trash);
    await ensureRealDir(trash, false);
    return trash;
  }

  async delete(name: string): Promise<void> {
    await this.store.openForWrite();
    const dir = this.store.paths.experimentDir(name);
    await this.store.requireExperiment(name);
    const target = path.join(await this.trash(), `${name}.${uid()}`);
    try {
      await rename(dir, target);
    } catch (error) {
      if (isMissing(error)) throw experimentNotFound(name);
      throw fsError("delete", dir, error);
    }
    this.series.dropExperiment(name);
    this.store.forgetExperiment(name);
    await removeTree(target);
  }
}
