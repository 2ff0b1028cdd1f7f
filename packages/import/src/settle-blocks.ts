import { type FileHandle, open } from "node:fs/promises";

/** Fields of one spilled point, as five float64s: metric id, step, wall time, arrival order, value. */
export const FIELDS = 5;
/** Records read or written at a time (640 KB). */
export const BLOCK_RECORDS = 1 << 14;

/** Reads one sorted block file a few hundred KB at a time. */
export class BlockCursor {
  readonly #handle: FileHandle;
  readonly #records = new Float64Array(BLOCK_RECORDS * FIELDS);
  #count = 0;
  #at = 0;
  #position = 0;
  done = false;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  static async open(file: string): Promise<BlockCursor> {
    const cursor = new BlockCursor(await open(file, "r"));
    await cursor.refill();
    return cursor;
  }

  get metric(): number {
    return this.#records[this.#at]!;
  }
  get step(): number {
    return this.#records[this.#at + 1]!;
  }
  get wall(): number {
    return this.#records[this.#at + 2]!;
  }
  get value(): number {
    return this.#records[this.#at + 4]!;
  }

  /** Compares the current records of two cursors: metric, step, wall time, arrival. */
  compare(other: BlockCursor): number {
    const a = this.#records;
    const b = other.#records;
    const i = this.#at;
    const j = other.#at;
    return a[i]! - b[j]! || a[i + 1]! - b[j + 1]! || a[i + 2]! - b[j + 2]! || a[i + 3]! - b[j + 3]!;
  }

  /** Moves to the next record; false when the block in memory is used up (then call {@link refill}). */
  next(): boolean {
    this.#at += FIELDS;
    return this.#at < this.#count * FIELDS;
  }

  async refill(): Promise<void> {
    const bytes = new Uint8Array(this.#records.buffer);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await this.#handle.read(bytes, filled, bytes.length - filled, this.#position);
      if (bytesRead === 0) break;
      filled += bytesRead;
      this.#position += bytesRead;
    }
    this.#count = Math.floor(filled / (FIELDS * 8));
    this.#at = 0;
    if (this.#count === 0) this.done = true;
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}

/** A binary min-heap of cursors ordered by their current record. */
export class CursorHeap {
  readonly #items: BlockCursor[];

  constructor(items: BlockCursor[]) {
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  get size(): number {
    return this.#items.length;
  }

  top(): BlockCursor {
    return this.#items[0]!;
  }

  pop(): void {
    const last = this.#items.pop()!;
    if (this.#items.length > 0) {
      this.#items[0] = last;
      this.#down(0);
    }
  }

  /** Restores the order after the top cursor advanced. */
  siftDown(): void {
    this.#down(0);
  }

  #down(start: number): void {
    const items = this.#items;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && items[l]!.compare(items[m]!) < 0) m = l;
      if (r < items.length && items[r]!.compare(items[m]!) < 0) m = r;
      if (m === i) return;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
  }
}
