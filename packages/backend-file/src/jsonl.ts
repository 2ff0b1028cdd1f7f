import { readSync } from "node:fs";
import { BackendError } from "@exprun/core";
import { BACKEND } from "./fsio.js";

/** One parsed line of a log: always a JSON object. */
export type LogRecord = Record<string, unknown>;

/** The error for a complete record that is not what this store writes, naming the file and byte offset. */
export function corruptRecord(file: string, byteOffset: number, reason: string): BackendError {
  return new BackendError(
    `Corrupt or foreign record in ${file} at byte ${byteOffset}: ${reason}. Restore the file from a backup, ` +
      `or remove that line; the rest of the store stays readable.`,
    { backend: BACKEND },
  );
}

function isObject(value: unknown): value is LogRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Recovers the record after a torn one. A writer killed inside `write(2)` can leave a record without
 * its newline; the next process's record then continues that line. The complete record starts at the
 * leftmost `{"` from which the rest of the line parses: no suffix starting inside the torn prefix can
 * parse, because the prefix leaves at least one object open that the complete record does not close.
 */
function recoverAfterTorn(line: string): LogRecord | undefined {
  for (let i = line.indexOf('{"', 1); i > 0; i = line.indexOf('{"', i + 1)) {
    try {
      const value: unknown = JSON.parse(line.slice(i));
      if (isObject(value)) return value;
    } catch {
      // not the start of the complete record; try the next candidate
    }
  }
  return undefined;
}

/** A complete line that is not a record this store writes: where it is, why, and what it parsed to. */
export interface BadLine {
  offset: number;
  reason: string;
  /** The parsed object, when the line was JSON but not a valid record. */
  record?: LogRecord;
}

/** Parses one line: the record, a record recovered after a torn one, or `undefined`. */
export function parseLine(line: string): LogRecord | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return recoverAfterTorn(line);
  }
  return isObject(record) ? record : undefined;
}

/**
 * Parses the complete lines of `text` (which ends with a newline, or is empty) and hands each record
 * to `onRecord`. `baseOffset` is the byte offset of `text` in `file`, for messages. An incomplete
 * trailing record is never passed here (the caller keeps it for the next read). A complete line that is
 * not a JSON object (and is not a torn record followed by a complete one), or that `onRecord` rejects,
 * goes to `onBadLine` when given; without it, it is a `BackendError` naming the file and byte offset.
 */
export function parseLines(
  text: string,
  file: string,
  baseOffset: number,
  onRecord: (record: LogRecord) => void,
  onBadLine?: (bad: BadLine) => void,
): void {
  let start = 0;
  let startBytes = baseOffset;
  const ascii = Buffer.byteLength(text) === text.length;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) {
      const line = text.slice(start, end);
      const record = parseLine(line);
      let bad: BadLine | undefined;
      if (record === undefined) {
        bad = { offset: startBytes, reason: "the line is not a JSON object" };
      } else {
        try {
          onRecord(record);
        } catch (error) {
          if (error instanceof BackendError) throw error;
          bad = {
            offset: startBytes,
            reason: error instanceof Error ? error.message : String(error),
            record,
          };
        }
      }
      if (bad) {
        if (!onBadLine) throw corruptRecord(file, bad.offset, bad.reason);
        onBadLine(bad);
      }
    }
    startBytes += ascii ? end + 1 - start : Buffer.byteLength(text.slice(start, end + 1));
    start = end + 1;
  }
}

/** Serialises records as JSON Lines, ready for one append. */
export function toLines(records: readonly unknown[]): Buffer {
  let text = "";
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return Buffer.from(text);
}

/** A field check for reducers: throws a plain Error (turned into a corrupt-record error with the path). */
export function expectString(record: LogRecord, field: string): string {
  const value = record[field];
  if (typeof value !== "string") throw new Error(`field "${field}" must be a string`);
  return value;
}

export function expectNumber(record: LogRecord, field: string): number {
  const value = record[field];
  if (typeof value !== "number") throw new Error(`field "${field}" must be a number`);
  return value;
}

export function optionalObject(record: LogRecord, field: string): Record<string, unknown> | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new Error(`field "${field}" must be an object`);
  return value;
}

export function optionalStrings(record: LogRecord, field: string): string[] {
  const value = record[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new Error(`field "${field}" must be an array of strings`);
  }
  return value as string[];
}

/**
 * Bytes of a log read at a time. A log is read a block at a time, never as one string: V8 cannot hold
 * a string past ~512 MiB, and memory must not grow with the log (only a line longer than a block
 * makes the buffer grow, to that line).
 */
export const LOG_BLOCK = 16 << 20;

/**
 * Reads the complete lines in [from, size) of the open file `fd`, a block at a time, and hands each
 * block's text (whole lines) and its byte offset in the file to `onText`. Returns the offset after the
 * last complete line: an incomplete last line (a write going on, or torn) is left for a later read.
 */
export function readLineBlocks(
  fd: number,
  from: number,
  size: number,
  onText: (text: string, offset: number) => void,
  block: number = LOG_BLOCK,
): number {
  let offset = from;
  let buffer = Buffer.allocUnsafe(Math.max(1, Math.min(size - from, block)));
  let carry = 0; // bytes at the start of `buffer` from `offset` on, read but not yet handed out
  while (offset + carry < size) {
    if (carry === buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, size - offset));
      buffer.copy(bigger, 0, 0, carry);
      buffer = bigger;
    }
    const n = readSync(
      fd,
      buffer,
      carry,
      Math.min(buffer.length - carry, size - offset - carry),
      offset + carry,
    );
    if (n === 0) break; // the file shrank meanwhile: the next read reports it
    const filled = carry + n;
    const end = buffer.lastIndexOf(10, filled - 1) + 1;
    if (end === 0) {
      carry = filled; // no line ends yet: read on
      continue;
    }
    onText(buffer.toString("utf8", 0, end), offset);
    offset += end;
    buffer.copy(buffer, 0, end, filled);
    carry = filled - end;
  }
  return offset;
}
