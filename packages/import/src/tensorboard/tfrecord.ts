import { crc32c, maskCrc } from "../shared/crc32c.js";
import { FileWindow } from "../shared/file-window.js";

/** One record of a TFRecord file: its payload and the byte offset where its frame starts. */
export interface TFRecord {
  offset: number;
  /** Valid only during the `onRecord` call. */
  data: Uint8Array;
}

export interface TFRecordOptions {
  /** Called for each damaged or truncated part of the file, with a message naming the file and byte offset. */
  onDamage(message: string): void;
  /**
   * Records longer than this are checked (CRC) but not handed out, so one huge record (a graph)
   * does not need its size in memory. @default 64 MiB
   */
  maxRecordBytes?: number;
  /** Called with the length of each record too long to hand out. */
  onOversized?(offset: number, length: number): void;
}

const HEADER = 12; // u64 length + u32 masked CRC-32C of the length
const FOOTER = 4; // u32 masked CRC-32C of the data
const SCAN_BYTES = 1 << 20;

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** The record length in a header, or -1 when it cannot be a length in this file. */
function lengthOf(header: Uint8Array, at: number): number {
  const high = u32(header, at + 4);
  if (high > 0x1fffff) return -1;
  return high * 2 ** 32 + u32(header, at);
}

function headerIsValid(bytes: Uint8Array, at: number): boolean {
  return maskCrc(crc32c(bytes, at, at + 8)) === u32(bytes, at + 8);
}

/**
 * Reads the records of a TFRecord file (TensorBoard event files), verifying both masked CRC-32Cs of
 * every frame, with memory bounded by a 1 MiB window (plus records up to `maxRecordBytes`). Each
 * record goes to `onRecord` synchronously (a callback, not an async iterator: a million records
 * would otherwise cost a million promises — measured at about a third of the read time).
 *
 * Damage never ends the read early without saying so: a record whose data fails its CRC is skipped
 * (its length was verified, so the next frame is known); a header that fails its CRC is skipped by
 * scanning forward for the next frame whose header and data both verify; a file that ends inside a
 * frame (a writer killed mid-record) keeps every record before it. Each case calls `onDamage`.
 */
export async function readTFRecords(
  file: string,
  onRecord: (record: TFRecord) => void,
  options: TFRecordOptions,
): Promise<void> {
  const maxRecord = options.maxRecordBytes ?? 64 << 20;
  const window = await FileWindow.open(file);
  try {
    const size = window.size;
    let position = 0;
    while (position < size) {
      if (size - position < HEADER) {
        options.onDamage(
          `${file}: truncated record at byte ${position} (${size - position} bytes of a ${HEADER}-byte header); ` +
            "the records before it were kept",
        );
        return;
      }
      const header = window.cached(position, HEADER) ?? (await window.bytes(position, HEADER));
      const length = headerIsValid(header, 0) ? lengthOf(header, 0) : -1;
      if (length < 0) {
        const next = await findNextFrame(window, position + 1);
        options.onDamage(
          next === undefined
            ? `${file}: damaged record header at byte ${position} (CRC mismatch); no valid record after it, ` +
                `${size - position} bytes skipped`
            : `${file}: damaged record header at byte ${position} (CRC mismatch); skipped ${next - position} bytes ` +
                `to the next valid record at byte ${next}`,
        );
        if (next === undefined) return;
        position = next;
        continue;
      }
      const end = position + HEADER + length + FOOTER;
      if (end > size) {
        options.onDamage(
          `${file}: truncated record at byte ${position} (needs ${length + FOOTER} bytes after its header, ` +
            `${size - position - HEADER} left); the records before it were kept`,
        );
        return;
      }
      if (length > maxRecord) {
        if (await dataIsValid(window, position + HEADER, length)) options.onOversized?.(position, length);
        else
          options.onDamage(`${file}: damaged record data at byte ${position} (CRC mismatch); record skipped`);
        position = end;
        continue;
      }
      const frame =
        window.cached(position + HEADER, length + FOOTER) ??
        (await window.bytes(position + HEADER, length + FOOTER));
      if (maskCrc(crc32c(frame, 0, length)) !== u32(frame, length)) {
        options.onDamage(`${file}: damaged record data at byte ${position} (CRC mismatch); record skipped`);
      } else {
        onRecord({ offset: position, data: frame.subarray(0, length) });
      }
      position = end;
    }
  } finally {
    await window.close();
  }
}

/** Checks a record's data CRC piece by piece, for records too large to hold. */
async function dataIsValid(window: FileWindow, start: number, length: number): Promise<boolean> {
  let crc = 0;
  for (let at = 0; at < length; at += SCAN_BYTES) {
    const piece = await window.bytes(start + at, Math.min(SCAN_BYTES, length - at));
    crc = crc32c(piece, 0, piece.length, crc);
  }
  const footer = await window.bytes(start + length, FOOTER);
  return footer.length === FOOTER && maskCrc(crc) === u32(footer, 0);
}

/** The offset of the next frame at or after `from` whose header and data both verify. */
async function findNextFrame(window: FileWindow, from: number): Promise<number | undefined> {
  const size = window.size;
  for (let base = from; base + HEADER <= size; base += SCAN_BYTES) {
    const bytes = await window.bytes(base, SCAN_BYTES + HEADER);
    const candidates: number[] = [];
    for (let i = 0; i + HEADER <= bytes.length && i < SCAN_BYTES; i++) {
      if (headerIsValid(bytes, i)) candidates.push(base + i);
    }
    for (const at of candidates) {
      const header = await window.bytes(at, HEADER);
      const length = lengthOf(header, 0);
      if (
        length >= 0 &&
        at + HEADER + length + FOOTER <= size &&
        (await dataIsValid(window, at + HEADER, length))
      ) {
        return at;
      }
    }
  }
  return undefined;
}
