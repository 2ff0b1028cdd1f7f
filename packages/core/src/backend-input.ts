/**
 * The argument checks of every `Backend` method, used by the checked gateway. Each reads its input
 * once, property by property, and returns a fresh object holding exactly what was checked: that
 * object is what the store receives.
 */
import type { BackendCapabilities } from "./backend.js";
import { InvalidTypeError, ValidationError } from "./errors.js";
import {
  checkArtifactState,
  checkDescription,
  checkDisplayName,
  checkIdList,
  checkPageRequest,
  checkReference,
  checkResourceId,
  checkRunRef,
  checkRunType,
  checkSchemaTitle,
  checkSchemaVersion,
  checkTagsPatch,
  checkTime,
  checkUri,
} from "./fields.js";
import { snapshotMetadata } from "./metadata.js";
import { runResourceId, validateNameShape } from "./names.js";
import type {
  ExecutionPatch,
  NewArtifact,
  NewExecution,
  NewExperiment,
  NewRun,
  PageRequest,
  ResourceQuery,
  RunChild,
  RunPatch,
} from "./types.js";
import { isPlainObject, parseRunState, snapshotValues, typeName } from "./validation.js";

export interface InputRules {
  capabilities: BackendCapabilities;
  backend: string;
}

function fields(value: unknown, what: string): Record<string, unknown> {
  if (!isPlainObject(value))
    throw new InvalidTypeError(`${what} must be a plain object; got ${typeName(value)}.`);
  return value;
}

/** The given fields of `value` that are not `undefined`, read once each. */
function given(value: Record<string, unknown>, keys: readonly string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const key of keys) {
    const v = value[key];
    if (v !== undefined) out.set(key, v);
  }
  return out;
}

function metadataOf(value: unknown, what: string, rules: InputRules) {
  return snapshotMetadata(value, what, {
    nonFiniteValues: rules.capabilities.nonFiniteValues,
    backend: rules.backend,
  });
}

export function checkNewExperiment(input: unknown): NewExperiment {
  const f = given(fields(input, "The new experiment"), ["name", "description", "backingTensorboard"]);
  const name = f.get("name");
  validateNameShape("experiment", name);
  const out: NewExperiment = { name };
  if (f.has("description")) out.description = checkDescription(f.get("description"));
  if (f.has("backingTensorboard"))
    out.backingTensorboard = checkReference(f.get("backingTensorboard"), "backingTensorboard");
  return out;
}

export function checkExperimentPatch(patch: unknown): { description?: string; backingTensorboard?: string } {
  const f = given(fields(patch, "The experiment update"), ["description", "backingTensorboard"]);
  const out: { description?: string; backingTensorboard?: string } = {};
  if (f.has("description")) out.description = checkDescription(f.get("description"));
  if (f.has("backingTensorboard"))
    out.backingTensorboard = checkReference(f.get("backingTensorboard"), "backingTensorboard");
  return out;
}

export function checkDeleteOptions<K extends string>(options: unknown, key: K): Record<K, boolean> {
  if (options === undefined) return { [key]: false } as Record<K, boolean>;
  const value = fields(options, "The delete options")[key];
  if (value !== undefined && typeof value !== "boolean") {
    throw new InvalidTypeError(`${key} must be a boolean; got ${typeName(value)}.`);
  }
  return { [key]: value ?? false } as Record<K, boolean>;
}

export function checkNewRun(experiment: unknown, input: unknown, rules: InputRules): NewRun {
  validateNameShape("experiment", experiment);
  const f = given(fields(input, "The new run"), ["name", "state", "runType", "createTime", "updateTime"]);
  const name = f.get("name");
  validateNameShape("run", name);
  runResourceId(experiment, name);
  const out: NewRun = { name, state: parseRunState(f.get("state") ?? "RUNNING") };
  if (f.has("runType")) out.runType = checkRunType(f.get("runType"));
  // Times are passed only to stores that keep them; elsewhere the store's own now applies.
  const createTime = f.has("createTime") ? checkTime(f.get("createTime"), "createTime") : undefined;
  const updateTime = f.has("updateTime") ? checkTime(f.get("updateTime"), "updateTime") : undefined;
  if (rules.capabilities.keepsTimes) {
    if (createTime !== undefined) out.createTime = createTime;
    if (updateTime !== undefined) out.updateTime = updateTime;
  }
  return out;
}

export function checkRunPatch(patch: unknown, rules: InputRules): RunPatch {
  const f = given(fields(patch, "The run update"), [
    "params",
    "metrics",
    "state",
    "tags",
    "description",
    "updateTime",
  ]);
  const out: RunPatch = {};
  if (f.has("params"))
    out.params = snapshotValues("params", f.get("params"), rules.capabilities, rules.backend);
  if (f.has("metrics"))
    out.metrics = snapshotValues("metrics", f.get("metrics"), rules.capabilities, rules.backend);
  if (f.has("state")) out.state = parseRunState(f.get("state"));
  if (f.has("tags")) {
    out.tags = checkTagsPatch(f.get("tags"), {
      labels: rules.capabilities.tagsAsLabels,
      backend: rules.backend,
    });
  }
  if (f.has("description")) out.description = checkDescription(f.get("description"));
  if (f.has("updateTime")) {
    const updateTime = checkTime(f.get("updateTime"), "updateTime");
    if (rules.capabilities.keepsTimes) out.updateTime = updateTime;
  }
  return out;
}

export function checkTensorboardName(value: unknown): string {
  return checkReference(value, "The TensorBoard resource name");
}

const RESOURCE_FIELDS = [
  "id",
  "schemaTitle",
  "schemaVersion",
  "displayName",
  "description",
  "state",
  "metadata",
  "createTime",
  "updateTime",
] as const;

function resourceFields(kind: "Artifact" | "Execution", f: Map<string, unknown>, rules: InputRules) {
  const out: NewArtifact & NewExecution = { schemaTitle: checkSchemaTitle(f.get("schemaTitle")) };
  if (f.has("id")) out.id = checkResourceId(f.get("id"), kind.toLowerCase());
  if (f.has("schemaVersion")) out.schemaVersion = checkSchemaVersion(f.get("schemaVersion"));
  if (f.has("displayName")) out.displayName = checkDisplayName(f.get("displayName"));
  if (f.has("description")) out.description = checkDescription(f.get("description"));
  if (f.has("metadata"))
    out.metadata = metadataOf(f.get("metadata"), `The ${kind.toLowerCase()}'s metadata`, rules);
  const createTime = f.has("createTime") ? checkTime(f.get("createTime"), "createTime") : undefined;
  const updateTime = f.has("updateTime") ? checkTime(f.get("updateTime"), "updateTime") : undefined;
  if (rules.capabilities.keepsTimes) {
    if (createTime !== undefined) out.createTime = createTime;
    if (updateTime !== undefined) out.updateTime = updateTime;
  }
  return out;
}

export function checkNewArtifact(input: unknown, rules: InputRules): NewArtifact {
  const f = given(fields(input, "The new artifact"), [...RESOURCE_FIELDS, "uri"]);
  if (!f.has("schemaTitle"))
    throw new ValidationError("An artifact needs a schemaTitle, e.g. 'system.Dataset'.");
  const { state: _state, ...out }: NewArtifact & NewExecution = resourceFields("Artifact", f, rules);
  const artifact: NewArtifact = out;
  if (f.has("uri")) artifact.uri = checkUri(f.get("uri"));
  if (f.has("state")) artifact.state = checkArtifactState(f.get("state"));
  return artifact;
}

export function checkNewExecution(input: unknown, rules: InputRules): NewExecution {
  const f = given(fields(input, "The new execution"), RESOURCE_FIELDS);
  if (!f.has("schemaTitle"))
    throw new ValidationError("An execution needs a schemaTitle, e.g. 'system.Run'.");
  const { state: _state, ...out }: NewArtifact & NewExecution = resourceFields("Execution", f, rules);
  const execution: NewExecution = out;
  if (f.has("state")) execution.state = parseRunState(f.get("state"));
  return execution;
}

export function checkExecutionPatch(patch: unknown, rules: InputRules): ExecutionPatch {
  const f = given(fields(patch, "The execution update"), ["state", "metadata"]);
  const out: ExecutionPatch = {};
  if (f.has("state")) out.state = parseRunState(f.get("state"));
  if (f.has("metadata")) out.metadata = metadataOf(f.get("metadata"), "The execution's metadata", rules);
  return out;
}

export function checkEvents(events: unknown): { inputs?: string[]; outputs?: string[] } {
  const f = given(fields(events, "The execution events"), ["inputs", "outputs"]);
  const out: { inputs?: string[]; outputs?: string[] } = {};
  if (f.has("inputs")) out.inputs = checkIdList(f.get("inputs"), "artifact", "inputs");
  if (f.has("outputs")) out.outputs = checkIdList(f.get("outputs"), "artifact", "outputs");
  return out;
}

export function checkLinks(links: unknown): { artifacts?: string[]; executions?: string[] } {
  const f = given(fields(links, "The run links"), ["artifacts", "executions"]);
  const out: { artifacts?: string[]; executions?: string[] } = {};
  if (f.has("artifacts")) out.artifacts = checkIdList(f.get("artifacts"), "artifact", "artifacts");
  if (f.has("executions")) out.executions = checkIdList(f.get("executions"), "execution", "executions");
  return out;
}

export function checkChildren(children: unknown, rules: InputRules): RunChild[] {
  if (!Array.isArray(children)) {
    throw new InvalidTypeError(`Run children must be an array; got ${typeName(children)}.`);
  }
  return children.map((child: unknown, i) => {
    const f = given(fields(child, `Run child ${i}`), [
      "schemaTitle",
      "resourceName",
      "displayName",
      "metadata",
    ]);
    const out: RunChild = {
      schemaTitle: checkSchemaTitle(f.get("schemaTitle")),
      resourceName: checkReference(f.get("resourceName"), "A child's resourceName"),
      displayName: checkDisplayName(f.get("displayName") ?? ""),
    };
    if (f.has("metadata")) out.metadata = metadataOf(f.get("metadata"), "A run child's metadata", rules);
    return out;
  });
}

export function checkChildrenQuery(options: unknown): { schemaTitle?: string } {
  if (options === undefined) return {};
  const schemaTitle = fields(options, "The children query").schemaTitle;
  return schemaTitle === undefined ? {} : { schemaTitle: checkSchemaTitle(schemaTitle) };
}

export function checkResourceQuery(query: unknown): ResourceQuery {
  if (query === undefined) return {};
  const value = fields(query, "The resource query");
  const out: ResourceQuery = checkPageRequest<PageRequest>(value, "The resource query");
  const schemaTitle = value.schemaTitle;
  const run = value.run;
  if (schemaTitle !== undefined) out.schemaTitle = checkSchemaTitle(schemaTitle);
  if (run !== undefined) out.run = checkRunRef(run);
  return out;
}

export function checkRunListRequest(page: unknown): PageRequest & { withLatestTimeSeries?: boolean } {
  const out: PageRequest & { withLatestTimeSeries?: boolean } = checkPageRequest(page);
  if (page !== undefined) {
    const withLatest = (page as Record<string, unknown>).withLatestTimeSeries;
    if (withLatest !== undefined) {
      if (typeof withLatest !== "boolean") {
        throw new InvalidTypeError(`withLatestTimeSeries must be a boolean; got ${typeName(withLatest)}.`);
      }
      out.withLatestTimeSeries = withLatest;
    }
  }
  return out;
}
