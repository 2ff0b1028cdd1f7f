import { writeFileSync } from "node:fs";
import { crc32c, maskCrc } from "../../src/shared/crc32c.js";
import { Pb } from "./protowire.js";

/**
 * Writes TensorBoard event files from the format description: each record is framed as u64 length,
 * masked CRC-32C of the length, data, masked CRC-32C of the data; each record is an `Event`
 * (wall_time 1, step 2, file_version 3, graph_def 4, summary 5, …).
 */
export function frame(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc(crc32c(out, 0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc(crc32c(data)), true);
  return out;
}

export function writeEventFile(file: string, events: Uint8Array[]): { offsets: number[]; bytes: Uint8Array } {
  const frames = events.map(frame);
  const offsets: number[] = [];
  let length = 0;
  for (const f of frames) {
    offsets.push(length);
    length += f.length;
  }
  const bytes = new Uint8Array(length);
  for (const [i, f] of frames.entries()) bytes.set(f, offsets[i]!);
  writeFileSync(file, bytes);
  return { offsets, bytes };
}

function event(wallTime: number, step: number | bigint): Pb {
  const e = new Pb().double(1, wallTime);
  if (step !== 0) e.int(2, step);
  return e;
}

export function fileVersion(wallTime: number): Uint8Array {
  return new Pb().double(1, wallTime).string(3, "brain.Event:2").finish();
}

function metadata(plugin: string, content?: Uint8Array): Pb {
  const pluginData = new Pb().string(1, plugin);
  if (content) pluginData.bytes(2, content);
  return new Pb().message(1, pluginData);
}

/** TF1 / Keras / PyTorch style: `Summary.Value.simple_value` (float). */
export function simpleScalar(
  wallTime: number,
  step: number | bigint,
  tag: string,
  value: number,
): Uint8Array {
  const v = new Pb().string(1, tag).float(2, value);
  return event(wallTime, step).message(5, new Pb().message(1, v)).finish();
}

/** Several simple values in one event. */
export function simpleScalars(wallTime: number, step: number, values: Record<string, number>): Uint8Array {
  const summary = new Pb();
  for (const [tag, value] of Object.entries(values))
    summary.message(1, new Pb().string(1, tag).float(2, value));
  return event(wallTime, step).message(5, summary).finish();
}

export type TensorForm = "float_val" | "double_val" | "float_content" | "double_content";

/** TF2 `tf.summary.scalar`: a scalar tensor with plugin `scalars` (metadata optional: writers send it once). */
export function tensorScalar(
  wallTime: number,
  step: number,
  tag: string,
  value: number,
  form: TensorForm,
  withMetadata = true,
): Uint8Array {
  const tensor = new Pb().int(1, form.startsWith("float") ? 1 : 2).message(2, new Pb());
  if (form === "float_val") tensor.packedFloats(5, [value]);
  else if (form === "double_val") tensor.double(6, value);
  else {
    const b = new Uint8Array(form === "float_content" ? 4 : 8);
    const view = new DataView(b.buffer);
    if (form === "float_content") view.setFloat32(0, value, true);
    else view.setFloat64(0, value, true);
    tensor.bytes(4, b);
  }
  const v = new Pb().string(1, tag).message(8, tensor);
  if (withMetadata) v.message(9, metadata("scalars"));
  return event(wallTime, step).message(5, new Pb().message(1, v)).finish();
}

export function graph(wallTime: number): Uint8Array {
  return new Pb()
    .double(1, wallTime)
    .bytes(4, new Uint8Array([10, 3, 1, 2, 3]))
    .finish();
}

export function image(wallTime: number, step: number, tag: string): Uint8Array {
  const img = new Pb().int(1, 2).int(2, 2).int(3, 3).bytes(4, new Uint8Array(16));
  const v = new Pb().string(1, tag).message(4, img);
  return event(wallTime, step).message(5, new Pb().message(1, v)).finish();
}

export function histogram(wallTime: number, step: number, tag: string): Uint8Array {
  const histo = new Pb().double(1, 0).double(2, 1).double(3, 10);
  const v = new Pb().string(1, tag).message(5, histo);
  return event(wallTime, step).message(5, new Pb().message(1, v)).finish();
}

/** A text-plugin DT_STRING tensor (as the Hugging Face Trainer writes its arguments). */
export function text(wallTime: number, step: number, tag: string, body: string): Uint8Array {
  const tensor = new Pb().int(1, 7).message(2, new Pb()).string(8, body);
  const v = new Pb().string(1, tag).message(8, tensor).message(9, metadata("text"));
  return event(wallTime, step).message(5, new Pb().message(1, v)).finish();
}

export type HParam = number | string | boolean;

/** `_hparams_/session_start_info` (HParamsPluginData.session_start_info = 3, hparams map = 1 → google.protobuf.Value). */
export function hparamsStart(wallTime: number, hparams: Record<string, HParam>): Uint8Array {
  const start = new Pb();
  for (const [name, value] of Object.entries(hparams)) {
    const pv = new Pb();
    if (typeof value === "number") pv.double(2, value);
    else if (typeof value === "string") pv.string(3, value);
    else pv.int(4, value);
    start.message(1, new Pb().string(1, name).message(2, pv));
  }
  const content = new Pb().message(3, start).finish();
  const v = new Pb().string(1, "_hparams_/session_start_info").message(9, metadata("hparams", content));
  return event(wallTime, 0).message(5, new Pb().message(1, v)).finish();
}

/** `_hparams_/session_end_info` with a status (1 success, 2 failure, 3 running). */
export function hparamsEnd(wallTime: number, status: number): Uint8Array {
  const content = new Pb().message(4, new Pb().int(1, status)).finish();
  const v = new Pb().string(1, "_hparams_/session_end_info").message(9, metadata("hparams", content));
  return event(wallTime, 0).message(5, new Pb().message(1, v)).finish();
}
