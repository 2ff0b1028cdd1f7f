import {
  AlreadyExistsError,
  type Backend,
  newArtifactRecord,
  newExecutionRecord,
  type ResourceQuery,
} from "@exprun/core";
import { MEMORY_BACKEND_NAME, type MemoryStore } from "./memory-store.js";

const backend = MEMORY_BACKEND_NAME;

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

/** Artifacts, executions, and their links to runs. */
export function resourceMethods(store: MemoryStore): ResourceMethods {
  const inRun = (query: ResourceQuery | undefined, kind: "artifacts" | "executions") =>
    query?.run ? store.runOf(query.run)[kind] : undefined;

  return {
    async createArtifact(input) {
      const id = input.id ?? store.newId("artifact");
      if (store.artifacts.has(id))
        throw new AlreadyExistsError(`Artifact ${id} already exists.`, { backend });
      const record = newArtifactRecord(input, id, store.now());
      store.artifacts.set(id, record);
      return structuredClone(record);
    },
    async getArtifact(id) {
      const found = store.artifacts.get(id);
      return found ? structuredClone(found) : undefined;
    },
    async listArtifacts(query) {
      return store.page(matching(store.artifacts, inRun(query, "artifacts"), query?.schemaTitle), query);
    },
    async createExecution(input) {
      const id = input.id ?? store.newId("execution");
      if (store.executions.has(id))
        throw new AlreadyExistsError(`Execution ${id} already exists.`, { backend });
      const record = newExecutionRecord(input, id, store.now());
      store.executions.set(id, record);
      return structuredClone(record);
    },
    async getExecution(id) {
      const found = store.executions.get(id);
      return found ? structuredClone(found) : undefined;
    },
    async listExecutions(query) {
      return store.page(matching(store.executions, inRun(query, "executions"), query?.schemaTitle), query);
    },
    async updateExecution(id, patch) {
      const record = store.executionOf(id);
      if (patch.state) record.state = patch.state;
      if (patch.metadata) Object.assign(record.metadata, structuredClone(patch.metadata));
      record.updateTime = store.now();
      return structuredClone(record);
    },
    async addExecutionEvents(id, events) {
      const record = store.executionOf(id);
      for (const artifact of [...(events.inputs ?? []), ...(events.outputs ?? [])])
        store.artifactOf(artifact);
      for (const artifact of events.inputs ?? []) {
        if (!record.inputArtifacts.includes(artifact)) record.inputArtifacts.push(artifact);
      }
      for (const artifact of events.outputs ?? []) {
        if (!record.outputArtifacts.includes(artifact)) record.outputArtifacts.push(artifact);
      }
      record.updateTime = store.now();
      return structuredClone(record);
    },
    async attributeToRun(ref, links) {
      const run = store.runOf(ref);
      for (const id of links.artifacts ?? []) store.artifactOf(id);
      for (const id of links.executions ?? []) store.executionOf(id);
      for (const id of links.artifacts ?? []) run.artifacts.add(id);
      for (const id of links.executions ?? []) run.executions.add(id);
    },
    async addRunChildren(ref, children) {
      const run = store.runOf(ref);
      for (const child of children) {
        if (!run.children.has(child.resourceName))
          run.children.set(child.resourceName, structuredClone(child));
      }
    },
    async listRunChildren(ref, options) {
      return [...store.runOf(ref).children.values()]
        .filter((c) => !options?.schemaTitle || c.schemaTitle === options.schemaTitle)
        .map((c) => structuredClone(c));
    },
  };
}

/** Copies of the stored resources that are in `only` (when given) and of the schema title (when given). */
function matching<T extends { id: string; schemaTitle: string }>(
  stored: Map<string, T>,
  only: Set<string> | undefined,
  schemaTitle: string | undefined,
): T[] {
  return [...stored.values()]
    .filter((r) => (!only || only.has(r.id)) && (!schemaTitle || r.schemaTitle === schemaTitle))
    .map((r) => structuredClone(r));
}
