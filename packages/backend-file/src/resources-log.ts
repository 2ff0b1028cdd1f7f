import type { ArtifactRecord, ArtifactState, ExecutionRecord, RunState } from "@exprun/core";
import { expectNumber, expectString, type LogRecord, optionalObject, optionalStrings } from "./jsonl.js";
import type { Reducer } from "./log-view.js";
import { copyMetadata, decodeMetadata, encodeDeep } from "./values.js";

/** A resource with the id of the record that created it (to settle racing creators of one id). */
export interface Entry<T> {
  uid: string;
  seq: number;
  record: T;
}

export interface ResourcesState<T> {
  /** In creation order. */
  byId: Map<string, Entry<T>>;
}

function expectObject(record: LogRecord, field: string): Record<string, unknown> {
  const value = optionalObject(record, field);
  if (!value) throw new Error(`field "${field}" must be an object`);
  return value;
}

function checkMetadata(raw: Record<string, unknown>): void {
  const m = raw.metadata;
  if (m !== undefined && (typeof m !== "object" || m === null || Array.isArray(m))) {
    throw new Error(`field "metadata" must be an object`);
  }
}

function decodeArtifact(raw: Record<string, unknown>): ArtifactRecord {
  checkMetadata(raw);
  return { ...(raw as unknown as ArtifactRecord), metadata: decodeMetadata(raw.metadata) };
}

function decodeExecution(raw: Record<string, unknown>): ExecutionRecord {
  checkMetadata(raw);
  return {
    ...(raw as unknown as ExecutionRecord),
    metadata: decodeMetadata(raw.metadata),
    inputArtifacts: [...((raw.inputArtifacts as string[]) ?? [])],
    outputArtifacts: [...((raw.outputArtifacts as string[]) ?? [])],
  };
}

export function encodeArtifact(record: ArtifactRecord): unknown {
  return { ...record, metadata: encodeDeep(record.metadata) };
}

export function encodeExecution(record: ExecutionRecord): unknown {
  return { ...record, metadata: encodeDeep(record.metadata) };
}

function create<T extends { id: string }>(
  state: ResourcesState<T>,
  record: LogRecord,
  seq: number,
  field: string,
  decode: (raw: Record<string, unknown>) => T,
): void {
  const value = decode(expectObject(record, field));
  if (typeof value.id !== "string") throw new Error(`field "${field}.id" must be a string`);
  if (state.byId.has(value.id)) return; // a racing creator of the same id that lost
  state.byId.set(value.id, { uid: expectString(record, "uid"), seq, record: value });
}

function snapshotCodec<T>(
  encode: (record: T) => unknown,
  decode: (raw: Record<string, unknown>) => T,
): NonNullable<Reducer<ResourcesState<T>>["snapshot"]> {
  return {
    encode: (state) => [...state.byId.values()].map((e) => ({ ...e, record: encode(e.record) })),
    decode: (json, _tagged) => {
      const byId = new Map<string, Entry<T>>();
      for (const e of json as Entry<Record<string, unknown>>[]) {
        const record = decode(e.record);
        byId.set((record as { id: string }).id, { uid: e.uid, seq: e.seq, record });
      }
      return { byId };
    },
  };
}

/** The resource id a record names, where it names one that can be trusted (for bad lines). */
function resourceKey(field: string): (record: LogRecord | undefined) => string | undefined {
  return (record) => {
    if (typeof record?.id === "string") return record.id;
    const created = record?.[field] as { id?: unknown } | undefined;
    return typeof created?.id === "string" ? created.id : undefined;
  };
}

/** `resources/artifacts.jsonl`: `create` records only (artifacts are immutable here). */
export const artifactsReducer: Reducer<ResourcesState<ArtifactRecord>> = {
  empty: () => ({ byId: new Map() }),
  problemKey: resourceKey("artifact"),
  apply(state, record, seq) {
    const op = expectString(record, "op");
    if (op !== "create") throw new Error(`unknown operation "${op}"`);
    create(state, record, seq, "artifact", decodeArtifact);
  },
  snapshot: snapshotCodec(encodeArtifact, decodeArtifact),
};

/** `resources/executions.jsonl`: `create`, `update` (state, metadata merge) and `events`. */
export const executionsReducer: Reducer<ResourcesState<ExecutionRecord>> = {
  empty: () => ({ byId: new Map() }),
  problemKey: resourceKey("execution"),
  apply(state, record, seq) {
    const op = expectString(record, "op");
    if (op === "create") {
      create(state, record, seq, "execution", decodeExecution);
      return;
    }
    const id = expectString(record, "id");
    const time = expectNumber(record, "t");
    const entry = state.byId.get(id);
    // Every field is checked before anything changes: a bad record leaves the entry as it was.
    if (op === "update") {
      const metadata = optionalObject(record, "metadata");
      if (record.state !== undefined && typeof record.state !== "string") {
        throw new Error(`field "state" must be a string`);
      }
      if (!entry) return;
      if (typeof record.state === "string") entry.record.state = record.state as RunState;
      if (metadata) Object.assign(entry.record.metadata, decodeMetadata(metadata));
    } else if (op === "events") {
      const inputs = optionalStrings(record, "inputs");
      const outputs = optionalStrings(record, "outputs");
      if (!entry) return;
      for (const a of inputs)
        if (!entry.record.inputArtifacts.includes(a)) entry.record.inputArtifacts.push(a);
      for (const a of outputs)
        if (!entry.record.outputArtifacts.includes(a)) entry.record.outputArtifacts.push(a);
    } else {
      throw new Error(`unknown operation "${op}"`);
    }
    entry.record.updateTime = time;
  },
  snapshot: snapshotCodec(encodeExecution, decodeExecution),
};

export function copyArtifact(record: ArtifactRecord): ArtifactRecord {
  return { ...record, state: record.state as ArtifactState, metadata: copyMetadata(record.metadata) };
}

export function copyExecution(record: ExecutionRecord): ExecutionRecord {
  return {
    ...record,
    metadata: copyMetadata(record.metadata),
    inputArtifacts: [...record.inputArtifacts],
    outputArtifacts: [...record.outputArtifacts],
  };
}
