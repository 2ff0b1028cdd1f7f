import type { Struct, Value } from "./types.js";

/** A JSON-compatible value, as `google.protobuf.Value` can hold it. */
export type JsonValue = null | number | string | boolean | JsonValue[] | { [key: string]: JsonValue };

/** Converts a plain object to a `google.protobuf.Struct` (handy to seed resources and compare metadata). */
export function toStruct(object: Record<string, JsonValue>): Struct {
  const fields: Record<string, Value> = {};
  for (const [key, value] of Object.entries(object)) fields[key] = toValue(value);
  return { fields };
}

export function toValue(value: JsonValue): Value {
  if (value === null) return { nullValue: "NULL_VALUE" };
  if (typeof value === "number") return { numberValue: value };
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value) };
}

/** Converts a `google.protobuf.Struct` back to a plain object. */
export function fromStruct(struct: Struct | null | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = fromValue(value);
  return out;
}

export function fromValue(value: Value): JsonValue {
  if (value.structValue != null) return fromStruct(value.structValue);
  if (value.listValue != null) return (value.listValue.values ?? []).map(fromValue);
  if (value.numberValue != null) return value.numberValue;
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return value.boolValue;
  return null;
}
