import type { CheckedBackend } from "../checked-backend.js";
import { isExprunError } from "../errors.js";
import type { ArtifactRecord, ExecutionRecord, Metadata } from "../types.js";
import { deepEqual } from "./equal.js";
import { alternateId, targetId } from "./ids.js";

/** What a {@link ResourceSync} wrote (or, with `dryRun`, would write). */
export interface ResourceSyncCounts {
  artifacts: number;
  executions: number;
  /** Existing executions whose state, metadata or events were brought up to date. */
  executionUpdates: number;
  warnings: string[];
}

/**
 * Makes sure the target has each source artifact and execution, and remembers the id it has there.
 * Ids are kept when possible; when the target already uses an id for something else, a stable
 * alternate id (derived from the resource's content or identity) is used, so that a second sync finds
 * it again instead of creating a duplicate. Create and update times are kept where the target keeps
 * times. Every write goes through the checked backend.
 */
export class ResourceSync {
  readonly counts: ResourceSyncCounts = { artifacts: 0, executions: 0, executionUpdates: 0, warnings: [] };
  readonly #source: Pick<CheckedBackend, "getArtifact">;
  readonly #target: CheckedBackend;
  readonly #artifacts = new Map<string, Promise<string | undefined>>();
  readonly #executions = new Map<string, Promise<string>>();
  readonly #dryRun: boolean;

  /**
   * @param source where artifacts named only by id (an execution's events) are read from
   * @param target the store written to
   */
  constructor(
    source: Pick<CheckedBackend, "getArtifact">,
    target: CheckedBackend,
    options: { dryRun?: boolean } = {},
  ) {
    this.#source = source;
    this.#target = target;
    this.#dryRun = options.dryRun === true;
  }

  /** The target id of a source artifact, copying it first if needed; `undefined` if the source lacks it. */
  artifact(source: ArtifactRecord | string): Promise<string | undefined> {
    const id = typeof source === "string" ? source : source.id;
    let pending = this.#artifacts.get(id);
    if (!pending) {
      pending = (async () => {
        const record = typeof source === "string" ? await this.#source.getArtifact(source) : source;
        if (!record) {
          this.counts.warnings.push(
            `Artifact ${id} is referenced in the source but does not exist there; skipped.`,
          );
          return undefined;
        }
        return this.#ensureArtifact(record);
      })();
      this.#artifacts.set(id, pending);
    }
    return pending;
  }

  /** The target id of a source execution, creating or updating it (state, metadata, events). */
  execution(source: ExecutionRecord): Promise<string> {
    let pending = this.#executions.get(source.id);
    if (!pending) {
      pending = this.#ensureExecution(source);
      this.#executions.set(source.id, pending);
    }
    return pending;
  }

  #times(record: { createTime: number; updateTime: number }) {
    return this.#target.capabilities.keepsTimes
      ? { createTime: record.createTime, updateTime: record.updateTime }
      : {};
  }

  async #ensureArtifact(source: ArtifactRecord): Promise<string> {
    const content = artifactContent(source);
    const base = targetId(source.id);
    for (const candidate of [base, alternateId(base, content)]) {
      let existing = await this.#target.getArtifact(candidate);
      if (!existing) {
        try {
          if (!this.#dryRun)
            await this.#target.createArtifact({ id: candidate, ...content, ...this.#times(source) });
          this.counts.artifacts++;
          return candidate;
        } catch (error) {
          if (!isExprunError(error, "ALREADY_EXISTS")) throw error;
          existing = await this.#target.getArtifact(candidate);
        }
      }
      if (existing && deepEqual(artifactContent(existing), content)) return candidate;
    }
    if (this.#dryRun) {
      this.counts.artifacts++;
      return `${base}-new`;
    }
    const created = await this.#target.createArtifact({ ...content, ...this.#times(source) });
    this.counts.artifacts++;
    this.counts.warnings.push(
      `Artifact ${source.id} was copied under a new id ${created.id}: its ids were taken.`,
    );
    return created.id;
  }

  async #ensureExecution(source: ExecutionRecord): Promise<string> {
    const base = targetId(source.id);
    const identity = {
      schemaTitle: source.schemaTitle,
      displayName: source.displayName,
      createTime: source.createTime,
    };
    for (const candidate of [base, alternateId(base, identity)]) {
      let existing = await this.#target.getExecution(candidate);
      let created = false;
      if (!existing) {
        try {
          const execution = {
            id: candidate,
            schemaTitle: source.schemaTitle,
            schemaVersion: source.schemaVersion,
            displayName: source.displayName,
            description: source.description,
            state: source.state,
            metadata: source.metadata,
          };
          existing = this.#dryRun
            ? { ...source, ...execution, inputArtifacts: [], outputArtifacts: [] }
            : await this.#target.createExecution({ ...execution, ...this.#times(source) });
          created = true;
          this.counts.executions++;
        } catch (error) {
          if (!isExprunError(error, "ALREADY_EXISTS")) throw error;
          existing = await this.#target.getExecution(candidate);
        }
      }
      if (
        existing &&
        existing.schemaTitle === source.schemaTitle &&
        existing.displayName === source.displayName
      ) {
        await this.#syncExecution(source, existing, created);
        return candidate;
      }
    }
    throw new Error(
      `Execution ${source.id}: the target uses both ${base} and its alternate id for other executions.`,
    );
  }

  async #syncExecution(source: ExecutionRecord, target: ExecutionRecord, created: boolean): Promise<void> {
    let changed = false;
    const metadata: Metadata = {};
    for (const [k, v] of Object.entries(source.metadata))
      if (!deepEqual(target.metadata[k], v)) metadata[k] = v;
    const patch = {
      ...(source.state !== target.state ? { state: source.state } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    if (Object.keys(patch).length) {
      if (!this.#dryRun) await this.#target.updateExecution(target.id, patch);
      changed = true;
    }
    const ids = async (list: string[]) =>
      (await Promise.all(list.map((id) => this.artifact(id)))).filter((id) => id !== undefined);
    const inputs = (await ids(source.inputArtifacts)).filter((id) => !target.inputArtifacts.includes(id));
    const outputs = (await ids(source.outputArtifacts)).filter((id) => !target.outputArtifacts.includes(id));
    if (inputs.length || outputs.length) {
      if (!this.#dryRun) await this.#target.addExecutionEvents(target.id, { inputs, outputs });
      changed = true;
    }
    if (changed && !created) this.counts.executionUpdates++;
  }
}

function artifactContent(a: ArtifactRecord) {
  return {
    schemaTitle: a.schemaTitle,
    schemaVersion: a.schemaVersion,
    displayName: a.displayName,
    uri: a.uri,
    description: a.description,
    state: a.state,
    metadata: a.metadata,
  };
}
