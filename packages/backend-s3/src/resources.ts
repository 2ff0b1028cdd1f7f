import { randomUUID } from "node:crypto";
import {
  type ArtifactRecord,
  type Backend,
  type ExecutionRecord,
  NotFoundError,
  newArtifactRecord,
  newExecutionRecord,
  type Page,
  type ResourceQuery,
} from "@exprun/core";
import { dict } from "./dict.js";
import { runChildren, runLinks } from "./experiment-state.js";
import { S3_BACKEND_NAME } from "./options.js";
import {
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

function missing(kind: string, id: string): NotFoundError {
  return new NotFoundError(`${kind} "${id}" not found. Create it first, or check the id.`, { backend });
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

export function resourceMethods(store: S3Store): ResourceMethods {
  const log = store.resources;

  async function create<C>(
    kind: "artifacts" | "executions",
    label: string,
    id: string | undefined,
    claim: C,
  ): Promise<{ id: string; data: ResourceData }> {
    const build = (key: string) => (v: string) => {
      const claims = dict<C>();
      claims[v] = claim;
      const entries = dict<{ claims: typeof claims; touched: string }>();
      entries[key] = { claims, touched: v };
      return { [kind]: entries } as ResourceData;
    };
    const versionOf = kind === "artifacts" ? artifactVersion : executionVersion;
    if (id === undefined) {
      const chosen = randomUUID();
      await log.append(build(chosen));
      return { id: chosen, data: log.current() };
    }
    const data = await store.claim(
      log,
      `${label} "${id}"`,
      (d) => versionOf(d, id) !== undefined,
      build(id),
      (d) => versionOf(d, id),
    );
    return { id, data };
  }

  async function attributed(
    query: ResourceQuery,
    kind: "artifacts" | "executions",
  ): Promise<Set<string> | undefined> {
    if (!query.run) return undefined;
    const { data } = await store.requireRun(query.run);
    return new Set(runLinks(data, query.run.run, kind));
  }

  return {
    async createArtifact(artifact) {
      const {
        id: _id,
        createTime: _c,
        updateTime: _u,
        ...claim
      }: ArtifactRecord = newArtifactRecord(artifact, "", 0);
      const { id, data } = await create("artifacts", "Artifact", artifact.id, claim);
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
      const record = newExecutionRecord(execution, "", 0);
      const claim: ExecutionClaim = {
        schemaTitle: record.schemaTitle,
        schemaVersion: record.schemaVersion,
        displayName: record.displayName,
        description: record.description,
        state: record.state,
        metadata: record.metadata,
      };
      const { id, data } = await create("executions", "Execution", execution.id, claim);
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

    async updateExecution(id, patch) {
      const { data } = await log.read();
      if (executionVersion(data, id) === undefined) throw missing("Execution", id);
      await log.append((v) => {
        const metadata = dict<{ v: string; x: NonNullable<typeof patch.metadata>[string] }>();
        for (const [key, x] of Object.entries(patch.metadata ?? {}))
          metadata[key] = { v, x: structuredClone(x) };
        const entry: ExecutionData = {
          state: patch.state === undefined ? undefined : { v, x: patch.state },
          metadata,
          touched: v,
        };
        const executions = dict<ExecutionData>();
        executions[id] = entry;
        return { executions };
      });
      return executionView(log.current(), id) as ExecutionRecord;
    },

    async addExecutionEvents(id, events) {
      const { data } = await log.read();
      if (executionVersion(data, id) === undefined) throw missing("Execution", id);
      for (const artifact of [...(events.inputs ?? []), ...(events.outputs ?? [])]) {
        if (artifactVersion(data, artifact) === undefined) throw missing("Artifact", artifact);
      }
      const current = executionView(data, id) as ExecutionRecord;
      const inputs = (events.inputs ?? []).filter((a) => !current.inputArtifacts.includes(a));
      const outputs = (events.outputs ?? []).filter((a) => !current.outputArtifacts.includes(a));
      if (inputs.length === 0 && outputs.length === 0) return current;
      await log.append((v) => {
        const executions = dict<ExecutionData>();
        executions[id] = { inputs: ordered(v, inputs), outputs: ordered(v, outputs), touched: v };
        return { executions };
      });
      return executionView(log.current(), id) as ExecutionRecord;
    },

    async attributeToRun(ref, links) {
      await store.requireRun(ref);
      const { data } = await log.read();
      for (const artifact of links.artifacts ?? []) {
        if (artifactVersion(data, artifact) === undefined) throw missing("Artifact", artifact);
      }
      for (const execution of links.executions ?? []) {
        if (executionVersion(data, execution) === undefined) throw missing("Execution", execution);
      }
      if ((links.artifacts?.length ?? 0) + (links.executions?.length ?? 0) === 0) return;
      await store.appendRun(ref, (v) => ({
        artifacts: ordered(v, links.artifacts),
        executions: ordered(v, links.executions),
      }));
    },

    async addRunChildren(ref, children) {
      await store.requireRun(ref);
      if (children.length === 0) return;
      await store.appendRun(ref, (v) => {
        const entries = dict<{ v: string; x: (typeof children)[number] }>();
        children.forEach((child, index) => {
          if (!(child.resourceName in entries))
            entries[child.resourceName] = { v: sub(v, index), x: structuredClone(child) };
        });
        return { children: entries };
      });
    },

    async listRunChildren(ref, options = {}) {
      const { data } = await store.requireRun(ref);
      const children = runChildren(data, ref.run);
      return options.schemaTitle === undefined
        ? children
        : children.filter((c) => c.schemaTitle === options.schemaTitle);
    },
  };
}
