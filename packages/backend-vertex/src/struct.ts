import type { Metadata, MetadataValue } from "@exprun/core";
import type { protos } from "@google-cloud/aiplatform";

/**
 * `google.protobuf.Struct` in the object form the GAPIC client sends and receives over gRPC
 * (VERTEX.md §10.4). Numbers are doubles: an int written here reads back as the same JS number,
 * exactly as Python reads `10` back as `10.0`.
 */
export type ProtoValue = protos.google.protobuf.IValue & { kind?: string | null };
export type ProtoStruct = protos.google.protobuf.IStruct;

export function toProtoValue(value: MetadataValue): ProtoValue {
  if (value === null) return { nullValue: "NULL_VALUE" };
  if (typeof value === "number") return { numberValue: value };
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) } };
  return { structValue: toProtoStruct(value) };
}

export function toProtoStruct(metadata: Metadata): ProtoStruct {
  const fields: { [key: string]: ProtoValue } = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value !== undefined) fields[key] = toProtoValue(value);
  }
  return { fields };
}

/** Reads a Value whichever way the decoder marked the oneof (`kind`, or the one field present). */
export function fromProtoValue(value: ProtoValue | null | undefined): MetadataValue {
  if (!value) return null;
  const kind = value.kind ?? presentKind(value);
  switch (kind) {
    case "numberValue":
      return Number(value.numberValue ?? 0);
    case "stringValue":
      return value.stringValue ?? "";
    case "boolValue":
      return value.boolValue === true;
    case "structValue":
      return fromProtoStruct(value.structValue);
    case "listValue":
      return (value.listValue?.values ?? []).map(fromProtoValue);
    default:
      return null;
  }
}

export function fromProtoStruct(struct: ProtoStruct | null | undefined): Metadata {
  const out: Metadata = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = fromProtoValue(value);
  return out;
}

function presentKind(value: ProtoValue): string | undefined {
  if (value.structValue != null) return "structValue";
  if (value.listValue != null) return "listValue";
  if (typeof value.stringValue === "string") return "stringValue";
  if (typeof value.boolValue === "boolean") return "boolValue";
  if (value.numberValue != null) return "numberValue";
  return undefined;
}
