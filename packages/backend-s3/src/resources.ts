import { randomUUID } from "node:crypto";
import {
  type ArtifactRecord,
  type Backend,
  type ExecutionRecord,
  newArtifactRecord,
  newExecutionRecord,
  type Page,
  type ResourceQuery,
  type RunRef,
  resourceNotFound,
} from "@exprun/core";
import { create } from "./creation.js";
import { dict } from "./dict.js";
import { type RunFields, runChildren, runFields, runLinks } from "./experiment-state.js";
import { S3_BACKEND_NAME } from "./options.js";
import {
  type ArtifactClaim,
  artifactVersion,
  artifactView,
  type ExecutionClaim,
  type ExecutionData,
  executionVersion,
  executionView,
  type ResourceData,
  resourceIds,
} from "./resource-state.js";
import type { S3Store } from "./store.js";

const backend = S3_BACKEND_NAME;

type ResourceMethods = Pick<
  Backend,
  | "createArtifact"
  | "getArtifact"
  | "listArtifacts"
  | "createExecution"
  | "getExecution"
  | "listExecutions"
  | "updateExecution"
  | "addExecutionEvents"
  | "attributeToRun"
  | "addRunChildren"
  | "listRunChildren"
>;

/** `${version}:${index}`: several entries of one write keep their order and still sort after the write. */
function sub(v: string, index: number): string {
  return `${v}:${String(index).padStart(6, "0")}`;
}

function ordered(v: string, ids: readonly string[] | undefined): Record<string, string> | undefined {
  if (!ids || ids.length === 0) return undefined;
  const out = dict<string>();
  ids.forEach((id, index) => {
    if (!(id in out)) out[id] = sub(v, index);
  });
  return out;
}

function missing(kind: "Artifact" | "Execution", id: string) {
  return resourceNotFound(kind, id, { backend });
}

function paged<T>(items: { v: string; record: T }[], query: ResourceQuery): Page<T> {
  const after = query.pageToken ? items.filter((item) => item.v > (query.pageToken as string)) : items;
  const size = query.pageSize !== undefined && query.pageSize > 0 ? query.pageSize : after.length;
  const slice = after.slice(0, size);
  const last = slice[slice.length - 1];
  return {
    items: slice.map((item) => item.record),
    nextPageToken: after.length > size && last ? last.v : undefined,
  };
}

function one<T>(key: string, value: T): Record<string, T> {
  const out = dict<T>();
  out[key] = value;
  return out;
}

export function resourceMethods(store: S3Store): ResourceMethods {
  const log = store.resources;
  const now = () => store.options.now();

  async function createResource<C extends { g: number }>(
    kind: "artifacts" | "executions",
    label: string,
    id: string | undefined,
    claim: Omit<C, "g">,
  ): Promise<{ id: string; data: ResourceData }> {
    const delta = (key: string) => (v: string, c: C) =>
      ({ [kind]: one(key, { claims: one(v, c) }) }) as ResourceData;
    const versionOf = kind === "artifacts" ? artifactVersion : executionVersion;
    if (id === undefined) {
      const chosen = randomUUID();
      // A fresh random id cannot race anyone: no read. But listings are in creation order, i.e. by
      // version, so the list barrier (one LIST) puts it after every creation acknowledged before it,
      // whatever the creators' clocks say.
      await log.append((v) => delta(chosen)(v, { ...claim, g: 1 } as C), { barrier: "list" });
      return { id: chosen, data: log.current() };
    }
    const data = await create<ResourceData, C>(store, {
      what: `${label} "${id}"`,
      log,
      next: (d) => (versionOf(d, id) === undefined ? 1 : undefined),
      claim: (g) => ({ ...claim, g }) as C,
      delta: delta(id),
      has: (d, v) => (d[kind]?.[id]?.claims as Record<string, unknown> | undefined)?.[v] !== undefined,
      winner: (d) => versionOf(d, id),
      key: () => store.keys.resourceClaim(kind, id),
      shape: kind === "artifacts" ? "artifact" : "execution",
    });
    return { id, data };
  }

  async function attributed(
    query: ResourceQuery,
    kind: "artifacts" | "executions",
  ): Promise<Set<string> | undefined> {
    if (!query.run) return undefined;
    const { data, run } = await store.requireRun(query.run);
    return new Set(runLinks(runFields(data, query.run.run, run.incarnation), kind));
  }

  async function writeExecution(
    id: string,
    build: (v: string, data: ResourceData) => ExecutionData | undefined,
  ) {
    await log.append(
      (v, data) => {
        const entry = build(v, data);
        return entry ? { executions: one(id, entry) } : {};
      },
      {
        barrier: (data) => (executionVersion(data, id) === undefined ? "read" : "list"),
        check: (data) => {
          if (executionVersion(data, id) === undefined) throw missing("Execution", id);
        },
      },
    );
    return executionView(log.current(), id) as ExecutionRecord;
  }

  /** Links on a run: one barrier read of the run's log and one PUT. */
  async function linkRun(ref: RunRef, build: (v: string) => RunFields): Promise<void> {
    await store.writeRun(ref, build);
  }

  return {
    async createArtifact(artifact) {
      const { id: _id, ...record }: ArtifactRecord = newArtifactRecord(artifact, "", now());
      const { id, data } = await createResource<ArtifactClaim>("artifacts", "Artifact", artifact.id, record);
      return artifactView(data, id) as ArtifactRecord;
    },

    async getArtifact(id) {
      return artifactView((await log.read()).data, id);
    },

    async listArtifacts(query = {}) {
      const only = await attributed(query, "artifacts");
      const { data } = await log.read();
      const items = resourceIds(data, "artifacts").flatMap(({ id, v }) => {
        if (only && !only.has(id)) return [];
        const record = artifactView(data, id);
        if (!record || (query.schemaTitle !== undefined && record.schemaTitle !== query.schemaTitle))
          return [];
        return [{ v, record }];
      });
      return paged(items, query);
    },

    async createExecution(execution) {
      const record = newExecutionRecord(execution, "", now());
      const claim: Omit<ExecutionClaim, "g"> = {
        schemaTitle: record.schemaTitle,
        schemaVersion: record.schemaVersion,
        displayName: record.displayName,
        description: record.description,
        state: record.state,
        metadata: record.metadata,
        createTime: record.createTime,
        updateTime: record.updateTime,
      };
      const { id, data } = await createResource<ExecutionClaim>(
        "executions",
        "Execution",
        execution.id,
        claim,
      );
      return executionView(data, id) as ExecutionRecord;
    },

    async getExecution(id) {
      return executionView((await log.read()).data, id);
    },

    async listExecutions(query = {}) {
      const only = await attributed(query, "executions");
      const { data } = await log.read();
      const items = resourceIds(data, "executions").flatMap(({ id, v }) => {
        if (only && !only.has(id)) return [];
        const record = executionView(data, id);
        if (!record || (query.schemaTitle !== undefined && record.schemaTitle !== query.schemaTitle))
          return [];
        return [{ v, record }];
      });
      return paged(items, query);
    },

    updateExecution(id, patch) {
      return writeExecution(id, (v) => {
        const metadata = dict<{ v: string; x: NonNullable<typeof patch.metadata>[string] }>();
        for (const [key, x] of Object.entries(patch.metadata ?? {}))
          metadata[key] = { v, x: structuredClone(x) };
        return {
          state: patch.state === undefined ? undefined : { v, x: patch.state },
          metadata,
          updateTime: { v, x: now() },
        };
      });
    },

    async addExecutionEvents(id, events) {
      const { data } = await log.read();
      if (executionVersion(data, id) === undefined) throw missing("Execution", id);
      for (const artifact of [...(events.inputs ?? []), ...(events.outputs ?? [])]) {
        if (artifactVersion(data, artifact) === undefined) throw missing("Artifact", artifact);
      }
      return writeExecution(id, (v, current) => {
        const record = executionView(current, id) as ExecutionRecord;
        const inputs = (events.inputs ?? []).filter((a) => !record.inputArtifacts.includes(a));
        const outputs = (events.outputs ?? []).filter((a) => !record.outputArtifacts.includes(a));
        if (inputs.length === 0 && outputs.length === 0) return undefined;
        return { inputs: ordered(v, inputs), outputs: ordered(v, outputs), updateTime: { v, x: now() } };
      });
    },

    async attributeToRun(ref, links) {
      const { data } = await log.read();
      for (const artifact of links.artifacts ?? []) {
        if (artifactVersion(data, artifact) === undefined) throw missing("Artifact", artifact);
      }
      for (const execution of links.executions ?? []) {
        if (executionVersion(data, execution) === undefined) throw missing("Execution", execution);
      }
      if ((links.artifacts?.length ?? 0) + (links.executions?.length ?? 0) === 0) return;
      await linkRun(ref, (v) => ({
        artifacts: ordered(v, links.artifacts),
        executions: ordered(v, links.executions),
      }));
    },

    async addRunChildren(ref, children) {
      if (children.length === 0) {
        await store.requireRun(ref);
        return;
      }
      await linkRun(ref, (v) => {
        const entries = dict<{ v: string; x: (typeof children)[number] }>();
        children.forEach((child, index) => {
          if (!(child.resourceName in entries))
            entries[child.resourceName] = { v: sub(v, index), x: structuredClone(child) };
        });
        return { children: entries };
      });
    },

    async listRunChildren(ref, options = {}) {
      const { data, run } = await store.requireRun(ref);
      const children = runChildren(runFields(data, ref.run, run.incarnation));
      return options.schemaTitle === undefined
        ? children
        : children.filter((c) => c.schemaTitle === options.schemaTitle);
    },
  };
}
