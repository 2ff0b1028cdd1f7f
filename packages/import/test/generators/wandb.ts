import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { Pb } from "./protowire.js";

/**
 * Writes W&B transaction logs from the format description: the 7-byte header (`:W&B`, u16 0xBEE1,
 * u8 version), then LevelDB log blocks of 32 KiB whose chunks are u32 CRC-32/IEEE (type byte + data),
 * u16 length, u8 type (1 full, 2 first, 3 middle, 4 last); a block tail under 7 bytes is zeros.
 * Records are `wandb_internal.Record` messages (history 2, summary 3, config 5, run 17, exit 18, …).
 */
const BLOCK = 32 * 1024;

export interface LogLayout {
  bytes: Uint8Array;
  /** File offset of each record's first chunk. */
  offsets: number[];
}

export function encodeLog(records: Uint8Array[], version = 0): LogLayout {
  const out: number[] = [0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, version]; // ":W&B", 0xBEE1 LE, version
  const offsets: number[] = [];
  for (const record of records) {
    let rest = record;
    let first = true;
    let done = false;
    offsets.push(-1);
    while (!done) {
      const left = BLOCK - (out.length % BLOCK);
      if (left < 7) {
        for (let i = 0; i < left; i++) out.push(0);
        continue;
      }
      if (first) offsets[offsets.length - 1] = out.length;
      const take = Math.min(rest.length, left - 7);
      const piece = rest.subarray(0, take);
      rest = rest.subarray(take);
      const last = rest.length === 0;
      const type = first && last ? 1 : first ? 2 : last ? 4 : 3;
      const crc = zlib.crc32(piece, zlib.crc32(new Uint8Array([type]))) >>> 0;
      out.push(
        crc & 0xff,
        (crc >>> 8) & 0xff,
        (crc >>> 16) & 0xff,
        crc >>> 24,
        take & 0xff,
        take >>> 8,
        type,
      );
      for (const b of piece) out.push(b);
      first = false;
      done = last;
    }
  }
  return { bytes: Uint8Array.from(out), offsets };
}

type Json = unknown;

function item(key: string | string[], value: Json): Pb {
  const pb = new Pb();
  if (Array.isArray(key)) for (const k of key) pb.string(2, k);
  else pb.string(1, key);
  return pb.string(
    16,
    typeof value === "string" && value.startsWith("RAW:") ? value.slice(4) : JSON.stringify(value),
  );
}

export interface RunInfo {
  runId: string;
  project?: string;
  entity?: string;
  displayName?: string;
  notes?: string;
  tags?: string[];
  group?: string;
  jobType?: string;
  host?: string;
  startSeconds?: number;
  config?: Record<string, Json>;
  gitCommit?: string;
}

export function runRecord(info: RunInfo): Uint8Array {
  const run = new Pb().string(1, info.runId);
  if (info.entity) run.string(2, info.entity);
  if (info.project) run.string(3, info.project);
  if (info.config) {
    const config = new Pb();
    for (const [k, v] of Object.entries(info.config)) config.message(1, item(k, v));
    run.message(4, config);
  }
  if (info.group) run.string(6, info.group);
  if (info.jobType) run.string(7, info.jobType);
  if (info.displayName) run.string(8, info.displayName);
  if (info.notes) run.string(9, info.notes);
  for (const tag of info.tags ?? []) run.string(10, tag);
  if (info.host) run.string(13, info.host);
  if (info.startSeconds)
    run.message(
      17,
      new Pb().int(1, Math.floor(info.startSeconds)).int(2, Math.round((info.startSeconds % 1) * 1e9)),
    );
  if (info.gitCommit)
    run.message(21, new Pb().string(1, "https://example.com/repo.git").string(2, info.gitCommit));
  return new Pb().int(1, 1).message(17, run).finish();
}

/** A history row: `step` in HistoryRecord.step (newer logs) or as an `_step` item (`stepAs: "item"`). */
export function historyRecord(
  values: Record<string, Json>,
  step?: number,
  stepAs: "record" | "item" = "record",
): Uint8Array {
  const history = new Pb();
  for (const [k, v] of Object.entries(values))
    history.message(1, item(k.includes(".") ? k.split(".") : k, v));
  if (step !== undefined) {
    if (stepAs === "record") history.message(2, new Pb().int(1, step));
    else history.message(1, item("_step", step));
  }
  return new Pb().message(2, history).finish();
}

export function summaryRecord(values: Record<string, Json>, remove: string[] = []): Uint8Array {
  const summary = new Pb();
  for (const [k, v] of Object.entries(values)) summary.message(1, item(k, v));
  for (const k of remove) summary.message(2, new Pb().string(1, k));
  return new Pb().message(3, summary).finish();
}

export function configRecord(values: Record<string, Json>, remove: string[] = []): Uint8Array {
  const config = new Pb();
  for (const [k, v] of Object.entries(values)) config.message(1, item(k, v));
  for (const k of remove) config.message(2, new Pb().string(1, k));
  return new Pb().message(5, config).finish();
}

export function exitRecord(code: number, runtimeSeconds = 0): Uint8Array {
  const exit = new Pb();
  if (code !== 0) exit.int(1, code);
  if (runtimeSeconds) exit.int(2, runtimeSeconds);
  return new Pb().message(18, exit).finish();
}

export function outputRecord(line: string): Uint8Array {
  return new Pb().message(4, new Pb().int(1, 1).string(3, line)).finish();
}

export function statsRecord(): Uint8Array {
  return new Pb().message(7, new Pb().message(3, item("cpu", 12.5))).finish();
}

export function headerRecord(producer: string): Uint8Array {
  return new Pb().message(21, new Pb().message(1, new Pb().string(1, producer))).finish();
}

/** Writes `<wandbDir>/offline-run-<stamp>-<id>/run-<id>.wandb` (+ optional files/) and returns the run folder. */
export function writeOfflineRun(
  wandbDir: string,
  stamp: string,
  runId: string,
  records: Uint8Array[],
  files: { config?: string; summary?: string } = {},
): { dir: string; file: string; layout: LogLayout } {
  const dir = path.join(wandbDir, `offline-run-${stamp}-${runId}`);
  mkdirSync(path.join(dir, "files"), { recursive: true });
  const layout = encodeLog(records);
  const file = path.join(dir, `run-${runId}.wandb`);
  writeFileSync(file, layout.bytes);
  if (files.config !== undefined) writeFileSync(path.join(dir, "files", "config.yaml"), files.config);
  if (files.summary !== undefined)
    writeFileSync(path.join(dir, "files", "wandb-summary.json"), files.summary);
  return { dir, file, layout };
}
