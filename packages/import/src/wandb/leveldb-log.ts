import zlib from "node:zlib";
import { FileWindow } from "../shared/file-window.js";

/** The W&B transaction log header: `:W&B`, u16 magic 0xBEE1, u8 format version. */
export const WANDB_IDENT = ":W&B";
export const WANDB_MAGIC = 0xbee1;
export const WANDB_VERSION = 0;
export const HEADER_BYTES = 7;

export const BLOCK_BYTES = 32 * 1024;
const CHUNK_HEADER = 7; // u32 CRC-32 (IEEE) of type + data, u16 length, u8 type
export const FULL = 1;
export const FIRST = 2;
export const MIDDLE = 3;
export const LAST = 4;

export interface LogRecord {
  /** File offset of the record's first chunk. */
  offset: number;
  data: Uint8Array;
}

export interface LogOptions {
  /** Called for damage, naming the file and byte offset; reading goes on at the next block. */
  onDamage(message: string): void;
  /** Called when the header's version is not the one this reader knows (reading goes on). */
  onVersion?(version: number): void;
}

/** Thrown when the file does not start with the W&B header. */
export class NotAWandbLogError extends Error {}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * Reads the records of a `.wandb` file: the 7-byte W&B header, then LevelDB log blocks of 32 KiB
 * (the header takes the first 7 bytes of block 0), whose chunks are checked with CRC-32/IEEE over
 * the type byte and data, and joined (full, or first + middle… + last) into records. Memory is
 * bounded by one block and the record being assembled.
 *
 * As LevelDB's own reader does, a damaged chunk (bad CRC, a length past its block, an unknown type)
 * drops the record it belonged to and reading resumes at the next block; a file that ends inside a
 * record keeps every record before it. Each case calls `onDamage` with the byte offset.
 */
export async function* readWandbLog(file: string, options: LogOptions): AsyncGenerator<LogRecord> {
  const window = await FileWindow.open(file, 8 * BLOCK_BYTES);
  try {
    const head = await window.bytes(0, HEADER_BYTES);
    const ident = new TextDecoder().decode(head.subarray(0, 4));
    const magic = head.length >= 6 ? head[4]! | (head[5]! << 8) : -1;
    if (head.length < HEADER_BYTES || ident !== WANDB_IDENT || magic !== WANDB_MAGIC) {
      throw new NotAWandbLogError(
        `${file} does not start with the W&B transaction-log header (":W&B", 0xBEE1)`,
      );
    }
    if (head[6] !== WANDB_VERSION) options.onVersion?.(head[6]!);

    let parts: Uint8Array[] = [];
    let partsStart = -1;
    /** After damage: the rest of a record cut by it is skipped quietly until the next full or first chunk. */
    let resyncing = false;
    const drop = (why: string, at: number) => {
      resyncing = true;
      if (partsStart >= 0) {
        options.onDamage(
          `${file}: ${why} at byte ${at}; the record that began at byte ${partsStart} was dropped`,
        );
      } else {
        options.onDamage(`${file}: ${why} at byte ${at}; skipped to the next block`);
      }
      parts = [];
      partsStart = -1;
    };

    const size = window.size;
    for (let blockStart = 0; blockStart < size; blockStart += BLOCK_BYTES) {
      const blockEnd = Math.min(size, blockStart + BLOCK_BYTES);
      let position = blockStart === 0 ? HEADER_BYTES : blockStart;
      while (blockEnd - position >= CHUNK_HEADER) {
        const header = await window.bytes(position, CHUNK_HEADER);
        const crc = u32(header, 0);
        const length = header[4]! | (header[5]! << 8);
        const type = header[6]!;
        if (crc === 0 && length === 0 && type === 0) break; // zero padding / preallocated space: next block
        const dataStart = position + CHUNK_HEADER;
        if (dataStart + length > blockEnd) {
          if (blockEnd === size && blockEnd - blockStart < BLOCK_BYTES) {
            options.onDamage(
              `${file}: truncated record at byte ${partsStart >= 0 ? partsStart : position} (the file ends inside it); ` +
                "the records before it were kept",
            );
            return;
          }
          drop("chunk longer than its block", position);
          break;
        }
        const data = (await window.bytes(dataStart, length)).slice();
        if (zlib.crc32(data, zlib.crc32(new Uint8Array([type]))) >>> 0 !== crc) {
          drop("damaged chunk (CRC mismatch)", position);
          break;
        }
        if (type === FULL) {
          if (partsStart >= 0) drop("record without its last chunk", position);
          resyncing = false;
          yield { offset: position, data };
        } else if (type === FIRST) {
          if (partsStart >= 0) drop("record without its last chunk", position);
          resyncing = false;
          parts = [data];
          partsStart = position;
        } else if (type === MIDDLE || type === LAST) {
          if (partsStart >= 0) {
            parts.push(data);
            if (type === LAST) {
              yield { offset: partsStart, data: concat(parts) };
              parts = [];
              partsStart = -1;
            }
          } else if (!resyncing) {
            options.onDamage(
              `${file}: chunk continuing a record that did not start, at byte ${position}; skipped`,
            );
          }
        } else {
          drop(`unknown chunk type ${type}`, position);
          break;
        }
        position = dataStart + length;
      }
      const tail = blockEnd - position;
      if (blockEnd === size && tail > 0 && tail < CHUNK_HEADER && blockEnd - blockStart < BLOCK_BYTES) {
        const rest = await window.bytes(position, tail);
        if (rest.some((b) => b !== 0)) {
          options.onDamage(
            `${file}: truncated record at byte ${position} (${tail} bytes of a chunk header); the records before it were kept`,
          );
          return;
        }
      }
    }
    if (partsStart >= 0) {
      options.onDamage(
        `${file}: truncated record at byte ${partsStart} (the file ends before its last chunk); the records before it were kept`,
      );
    }
  } finally {
    await window.close();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
