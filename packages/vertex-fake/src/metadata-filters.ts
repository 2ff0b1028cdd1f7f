import { toMillis } from "./clock.js";
import type { FieldResolver, FieldSpec, FilterSchema } from "./filter.js";
import type { VertexStore } from "./store.js";
import type { Artifact, Context, Execution, Struct, Timestamp, Value } from "./types.js";

/** What contexts, artifacts and executions have in common for filtering. */
interface MetadataResource {
  name: string;
  displayName: string;
  schemaTitle: string;
  schemaVersion: string;
  createTime: Timestamp | null;
  updateTime: Timestamp | null;
  labels: Record<string, string>;
  metadata: Struct | null;
}

/** `metadata.<key>.<type>_value`, the service's metadata traversal (top-level keys). */
function metadataField<T extends MetadataResource>(path: string[]): FieldSpec<T> | undefined {
  if (path.length !== 3) return undefined;
  const key = path[1]!;
  const get = (item: T): Value | undefined => item.metadata?.fields?.[key];
  switch (path[2]) {
    case "number_value":
      return { type: "number", get: (item) => get(item)?.numberValue ?? null };
    case "string_value":
      return { type: "string", get: (item) => get(item)?.stringValue ?? null };
    case "bool_value":
      return { type: "bool", get: (item) => get(item)?.boolValue ?? null };
    default:
      return undefined;
  }
}

function commonFields<T extends MetadataResource>(path: string[]): FieldSpec<T> | undefined {
  const [head, ...rest] = path;
  if (head === "metadata") return metadataField(path);
  if (head === "labels" && rest.length === 1)
    return { type: "string", get: (item) => item.labels[rest[0]!] ?? null };
  if (rest.length > 0) return undefined;
  switch (head) {
    case "name":
      return { type: "string", get: (item) => item.name };
    case "display_name":
      return { type: "string", get: (item) => item.displayName };
    case "schema_title":
      return { type: "string", get: (item) => item.schemaTitle };
    case "schema_version":
      return { type: "string", get: (item) => item.schemaVersion };
    case "create_time":
      return { type: "time", get: (item) => toMillis(item.createTime) };
    case "update_time":
      return { type: "time", get: (item) => toMillis(item.updateTime) };
    default:
      return undefined;
  }
}

export function contextSchema(store: VertexStore): FilterSchema<Context> {
  const fields: FieldResolver<Context> = (path) => {
    if (path.length === 1 && path[0] === "parent_contexts") {
      return { type: "names", get: (c) => store.parentsOfCanonical(c.name) };
    }
    if (path.length === 1 && path[0] === "child_contexts") {
      return { type: "names", get: (c) => store.contextChildren(c.name) };
    }
    return commonFields<Context>(path);
  };
  return { fields, canonical: (name) => store.canonical(name) };
}

/** in_context("<context>"): the artifact is attributed to (or the execution associated with) the context. */
function inContext<T extends { name: string }>(members: (context: string) => string[]) {
  return (args: string[]) => {
    const sets = args.map((context) => new Set(members(context)));
    return (item: T) => sets.some((set) => set.has(item.name));
  };
}

export function artifactSchema(store: VertexStore): FilterSchema<Artifact> {
  const fields: FieldResolver<Artifact> = (path) => {
    if (path.length === 1 && path[0] === "uri") return { type: "string", get: (a) => a.uri };
    if (path.length === 1 && path[0] === "state") return { type: "string", get: (a) => a.state };
    return commonFields<Artifact>(path);
  };
  return {
    fields,
    canonical: (name) => store.canonical(name),
    functions: { in_context: inContext<Artifact>((c) => store.contextArtifacts(c)) },
  };
}

export function executionSchema(store: VertexStore): FilterSchema<Execution> {
  const fields: FieldResolver<Execution> = (path) => {
    if (path.length === 1 && path[0] === "state") return { type: "string", get: (e) => e.state };
    return commonFields<Execution>(path);
  };
  return {
    fields,
    canonical: (name) => store.canonical(name),
    functions: { in_context: inContext<Execution>((c) => store.contextExecutions(c)) },
  };
}
