import type { Clock } from "./clock.js";
import { alreadyExists, invalidArgument, notFound } from "./errors.js";
import { addExecutionEvents, queryExecutionInputsAndOutputs } from "./events.js";
import { listPage } from "./listing.js";
import type { Operations } from "./lro.js";
import { artifactSchema, contextSchema, executionSchema } from "./metadata-filters.js";
import { MetadataResources } from "./metadata-resources.js";
import { idOf, requireName } from "./names.js";
import type { Protos } from "./protos.js";
import type { Handlers, Request } from "./rpc.js";
import type { VertexStore } from "./store.js";
import type { Artifact, Context, Execution } from "./types.js";

export interface MetadataServiceOptions {
  /** Whether a `default` metadata store springs into being on first use. @default true */
  autoCreateDefaultStore: boolean;
}

/** The largest number of parents a context may have. */
const MAX_PARENTS = 10;

/** The handlers of `google.cloud.aiplatform.v1.MetadataService`, keyed by method name. */
export function metadataService(
  store: VertexStore,
  clock: Clock,
  operations: Operations,
  protos: Protos,
  options: MetadataServiceOptions,
): Handlers {
  const canonical = (name: string) => store.canonical(name);
  const ensureStore = (parent: string) => {
    if (store.getMetadataStore(parent)) return;
    if (options.autoCreateDefaultStore && idOf(parent) === "default") {
      store.putMetadataStore({ name: parent });
      return;
    }
    throw notFound(`MetadataStore ${parent} not found.`);
  };
  const common = { canonical, ensureStore };
  const contexts = new MetadataResources<Context>(
    {
      ...common,
      label: "Context",
      nameKind: "context",
      collection: "contexts",
      mutable: ["displayName", "labels", "schemaTitle", "schemaVersion", "metadata", "description"],
      get: (name) => store.getContext(name),
      put: (context) => store.putContext(context),
      remove: (name) => store.deleteContext(name),
      scan: (parent) => store.scanMetadata("contexts", parent) as readonly Context[],
      view: (context) => ({ ...context, parentContexts: store.parentsOfCanonical(context.name) }),
      schema: contextSchema(store),
    },
    clock,
    operations,
  );
  const artifacts = new MetadataResources<Artifact>(
    {
      ...common,
      label: "Artifact",
      nameKind: "artifact",
      collection: "artifacts",
      mutable: [
        "displayName",
        "uri",
        "labels",
        "state",
        "schemaTitle",
        "schemaVersion",
        "metadata",
        "description",
      ],
      get: (name) => store.getArtifact(name),
      put: (artifact) => store.putArtifact(artifact),
      remove: (name) => store.deleteArtifact(name),
      scan: (parent) => store.scanMetadata("artifacts", parent) as readonly Artifact[],
      view: (artifact) => artifact,
      schema: artifactSchema(store),
    },
    clock,
    operations,
  );
  const executions = new MetadataResources<Execution>(
    {
      ...common,
      label: "Execution",
      nameKind: "execution",
      collection: "executions",
      mutable: ["displayName", "state", "labels", "schemaTitle", "schemaVersion", "metadata", "description"],
      get: (name) => store.getExecution(name),
      put: (execution) => store.putExecution(execution),
      remove: (name) => store.deleteExecution(name),
      scan: (parent) => store.scanMetadata("executions", parent) as readonly Execution[],
      view: (execution) => execution,
      schema: executionSchema(store),
    },
    clock,
    operations,
  );

  const requireContext = (name: string, field: string): Context => {
    requireName(name, "context", field);
    const context = store.getContext(name);
    if (!context) throw notFound(`Context ${canonical(name)} not found.`);
    return context;
  };

  return {
    // ---- metadata stores ----
    CreateMetadataStore: (r: Request) => {
      requireName(r.parent, "location", "parent");
      const name = `${canonical(r.parent)}/metadataStores/${r.metadataStoreId || "default"}`;
      if (store.getMetadataStore(name)) throw alreadyExists(`MetadataStore ${name} already exists.`);
      const created = store.putMetadataStore({ name, description: r.metadataStore?.description ?? "" });
      return operations.finished(
        name,
        "google.cloud.aiplatform.v1.MetadataStore",
        protos.encode("MetadataStore", created),
      );
    },
    GetMetadataStore: (r: Request) => {
      requireName(r.name, "metadataStore", "name");
      const name = canonical(r.name);
      if (!store.getMetadataStore(name) && options.autoCreateDefaultStore && idOf(name) === "default") {
        store.putMetadataStore({ name });
      }
      const found = store.getMetadataStore(name);
      if (!found) throw notFound(`MetadataStore ${name} not found.`);
      return found;
    },
    ListMetadataStores: (r: Request) => {
      requireName(r.parent, "location", "parent");
      const page = listPage(
        store.listMetadataStores(r.parent),
        r,
        canonical(r.parent),
        { fields: () => undefined },
        {
          defaultPageSize: 100,
          maxPageSize: 1000,
        },
      );
      return { metadataStores: page.items, nextPageToken: page.nextPageToken };
    },

    // ---- contexts ----
    CreateContext: (r: Request) => contexts.create(r.parent, r.context, r.contextId),
    GetContext: (r: Request) => contexts.get(r.name),
    ListContexts: (r: Request) => contexts.list(r, "contexts"),
    UpdateContext: (r: Request) => contexts.update(r.context, r.updateMask, r.allowMissing),
    DeleteContext: (r: Request) => contexts.delete(r.name, r.etag),
    AddContextChildren: (r: Request) => {
      const parent = requireContext(r.context, "context");
      const children = (r.childContexts as string[]).map(
        (child) => requireContext(child, "child_contexts").name,
      );
      for (const child of children) {
        if (child === parent.name) throw invalidArgument(`Context ${child} cannot be its own child.`);
        if (isAncestor(store, child, parent.name)) {
          throw invalidArgument(`Adding ${child} as a child of ${parent.name} would create a cycle.`);
        }
        const parents = new Set(store.contextParents(child));
        if (!parents.has(parent.name) && parents.size >= MAX_PARENTS) {
          throw invalidArgument(
            `Context ${child} already has the maximum of ${MAX_PARENTS} parent contexts.`,
          );
        }
      }
      store.addContextChildren(parent.name, children);
      return {};
    },
    RemoveContextChildren: (r: Request) => {
      const parent = requireContext(r.context, "context");
      store.removeContextChildren(parent.name, r.childContexts);
      return {};
    },
    AddContextArtifactsAndExecutions: (r: Request) => {
      const context = requireContext(r.context, "context");
      const artifactNames = (r.artifacts as string[]).map((name) => {
        requireName(name, "artifact", "artifacts");
        if (!store.getArtifact(name)) throw notFound(`Artifact ${canonical(name)} not found.`);
        return canonical(name);
      });
      const executionNames = (r.executions as string[]).map((name) => {
        requireName(name, "execution", "executions");
        if (!store.getExecution(name)) throw notFound(`Execution ${canonical(name)} not found.`);
        return canonical(name);
      });
      store.addContextArtifactsAndExecutions(context.name, artifactNames, executionNames);
      return {};
    },

    // ---- artifacts ----
    CreateArtifact: (r: Request) => artifacts.create(r.parent, r.artifact, r.artifactId),
    GetArtifact: (r: Request) => artifacts.get(r.name),
    ListArtifacts: (r: Request) => artifacts.list(r, "artifacts"),
    UpdateArtifact: (r: Request) => artifacts.update(r.artifact, r.updateMask, r.allowMissing),
    DeleteArtifact: (r: Request) => artifacts.delete(r.name, r.etag),

    // ---- executions ----
    CreateExecution: (r: Request) => executions.create(r.parent, r.execution, r.executionId),
    GetExecution: (r: Request) => executions.get(r.name),
    ListExecutions: (r: Request) => executions.list(r, "executions"),
    UpdateExecution: (r: Request) => executions.update(r.execution, r.updateMask, r.allowMissing),
    DeleteExecution: (r: Request) => executions.delete(r.name, r.etag),
    AddExecutionEvents: (r: Request) => addExecutionEvents(store, clock, r.execution, r.events),
    QueryExecutionInputsAndOutputs: (r: Request) => queryExecutionInputsAndOutputs(store, r.execution),
  };
}

/** Whether `candidate` is `context` or one of its ancestors. */
function isAncestor(store: VertexStore, candidate: string, context: string): boolean {
  const seen = new Set<string>();
  const stack = [context];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current === candidate) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    stack.push(...store.contextParents(current));
  }
  return false;
}
