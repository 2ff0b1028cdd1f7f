import { closeSync, mkdtempSync, openSync, writeSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { SeriesChunk } from "./model.js";
import { BLOCK_RECORDS, BlockCursor, CursorHeap, FIELDS } from "./settle-blocks.js";

export interface SettleOptions {
  /**
   * Points kept in memory; past this, a sorted block is written to a temporary file and the blocks
   * are merged when the series is read, so memory stays bounded whatever the length of the series.
   * @default 1_048_576 (≈ 32 MB)
   */
  memoryPoints?: number;
  /** Where temporary blocks go. @default os.tmpdir() */
  tmpDir?: string;
  /** Points per chunk handed out. @default 65_536 */
  chunkSize?: number;
}

export interface LatestPoint {
  step: number;
  wallTime: number;
  value: number;
}

/**
 * Turns points in any order into each metric's settled series: one point per (metric, step) — the
 * one with the latest wall time, on a tie the one added last — sorted by step, metrics in the order
 * they were first added. This is the rule every exprun series follows, applied to sources (MLflow,
 * TensorBoard) that may hold several points at one step, or steps out of order.
 *
 * Memory is bounded: at most `memoryPoints` points are held (28 bytes each); beyond that, sorted
 * blocks go to a temporary folder and are merged on read. Already-sorted input (the usual case) is
 * never re-sorted.
 */
export class SeriesSettler {
  /** Metric names in the order they were first added. */
  readonly keys: string[] = [];
  readonly #ids = new Map<string, number>();
  readonly #latest: LatestPoint[] = [];
  readonly #limit: number;
  readonly #chunkSize: number;
  readonly #tmpRoot: string;
  #metric = new Uint32Array(0);
  #step = new Float64Array(0);
  #wall = new Float64Array(0);
  #value = new Float64Array(0);
  #n = 0;
  /** Arrival number of the first point in the buffer. */
  #base = 0;
  #dir: string | undefined;
  readonly #spills: string[] = [];
  #order: Uint32Array | undefined;

  constructor(options: SettleOptions = {}) {
    this.#limit = Math.max(16, options.memoryPoints ?? 1 << 20);
    this.#chunkSize = Math.max(1, options.chunkSize ?? 1 << 16);
    this.#tmpRoot = options.tmpDir ?? os.tmpdir();
  }

  /** Points added so far (before settling). */
  get added(): number {
    return this.#base + this.#n;
  }

  /** Adds one point. `step` must be a non-negative safe integer and `wallTime` finite (callers check). */
  add(metric: string, step: number, wallTime: number, value: number): void {
    let id = this.#ids.get(metric);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(metric);
      this.#ids.set(metric, id);
      this.#latest.push({ step, wallTime, value });
    } else {
      const latest = this.#latest[id]!;
      if (step > latest.step || (step === latest.step && wallTime >= latest.wallTime)) {
        latest.step = step;
        latest.wallTime = wallTime;
        latest.value = value;
      }
    }
    if (this.#n === this.#metric.length) this.#grow();
    const i = this.#n++;
    this.#metric[i] = id;
    this.#step[i] = step;
    this.#wall[i] = wallTime;
    this.#value[i] = value;
    this.#order = undefined;
  }

  /** The latest point of each metric: largest step, then latest wall time, then added last. */
  latest(): Record<string, LatestPoint> {
    const out: Record<string, LatestPoint> = {};
    for (let id = 0; id < this.keys.length; id++) out[this.keys[id]!] = { ...this.#latest[id]! };
    return out;
  }

  /** The settled series, chunk by chunk (see the class comment). Can be iterated again. */
  async *chunks(): AsyncGenerator<SeriesChunk> {
    if (this.#spills.length === 0) {
      yield* this.#memoryChunks();
      return;
    }
    if (this.#n > 0) this.#spill();
    yield* this.#mergedChunks();
  }

  /** Removes the temporary blocks. Safe to call twice. */
  async close(): Promise<void> {
    const dir = this.#dir;
    this.#dir = undefined;
    this.#spills.length = 0;
    this.#metric = new Uint32Array(0);
    this.#step = this.#wall = this.#value = new Float64Array(0);
    this.#n = 0;
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  #grow(): void {
    if (this.#n >= this.#limit) {
      this.#spill();
      if (this.#metric.length > 0) return;
    }
    const capacity = Math.min(this.#limit, Math.max(1024, this.#metric.length * 2));
    const metric = new Uint32Array(capacity);
    const step = new Float64Array(capacity);
    const wall = new Float64Array(capacity);
    const value = new Float64Array(capacity);
    metric.set(this.#metric.subarray(0, this.#n));
    step.set(this.#step.subarray(0, this.#n));
    wall.set(this.#wall.subarray(0, this.#n));
    value.set(this.#value.subarray(0, this.#n));
    this.#metric = metric;
    this.#step = step;
    this.#wall = wall;
    this.#value = value;
  }

  /**
   * Buffer indices grouped by metric (a counting sort keeps arrival order), each metric's group
   * sorted by step, then wall time, then arrival — sorted only if it is not already.
   */
  #sortedOrder(): Uint32Array {
    if (this.#order) return this.#order;
    const n = this.#n;
    const counts = new Uint32Array(this.keys.length + 1);
    for (let i = 0; i < n; i++) counts[this.#metric[i]! + 1]!++;
    for (let id = 1; id < counts.length; id++) counts[id]! += counts[id - 1]!;
    const starts = counts.slice();
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[starts[this.#metric[i]!]!++] = i;
    const step = this.#step;
    const wall = this.#wall;
    for (let id = 0; id < this.keys.length; id++) {
      const from = counts[id]!;
      const to = counts[id + 1]!;
      let sorted = true;
      for (let k = from + 1; k < to && sorted; k++) {
        const a = order[k - 1]!;
        const b = order[k]!;
        if (step[a]! > step[b]! || (step[a] === step[b] && wall[a]! > wall[b]!)) sorted = false;
      }
      if (!sorted) {
        order.subarray(from, to).sort((a, b) => step[a]! - step[b]! || wall[a]! - wall[b]! || a - b);
      }
    }
    this.#order = order;
    return order;
  }

  *#memoryChunks(): Generator<SeriesChunk> {
    const order = this.#sortedOrder();
    const n = order.length;
    const out = new ChunkBuilder(this.keys, Math.min(this.#chunkSize, Math.max(1, n)));
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const next = k + 1 < n ? order[k + 1]! : -1;
      // Of several points at one step, only the last in sorted order is kept.
      if (next >= 0 && this.#metric[next] === this.#metric[i] && this.#step[next] === this.#step[i]) continue;
      const full = out.push(this.#metric[i]!, this.#step[i]!, this.#wall[i]!, this.#value[i]!);
      if (full) yield full;
    }
    const last = out.flush();
    if (last) yield last;
  }

  /** Writes the buffer, sorted, as one block of the temporary folder, and empties it. */
  #spill(): void {
    const order = this.#sortedOrder();
    this.#dir ??= mkdtempSync(path.join(this.#tmpRoot, "exprun-import-"));
    const file = path.join(this.#dir, `block-${this.#spills.length}.bin`);
    const fd = openSync(file, "wx");
    try {
      const block = new Float64Array(BLOCK_RECORDS * FIELDS);
      for (let k = 0; k < order.length; k += BLOCK_RECORDS) {
        const end = Math.min(order.length, k + BLOCK_RECORDS);
        for (let j = k; j < end; j++) {
          const i = order[j]!;
          const o = (j - k) * FIELDS;
          block[o] = this.#metric[i]!;
          block[o + 1] = this.#step[i]!;
          block[o + 2] = this.#wall[i]!;
          block[o + 3] = this.#base + i;
          block[o + 4] = this.#value[i]!;
        }
        writeSync(fd, new Uint8Array(block.buffer, 0, (end - k) * FIELDS * 8));
      }
    } finally {
      closeSync(fd);
    }
    this.#spills.push(file);
    this.#base += this.#n;
    this.#n = 0;
    this.#order = undefined;
  }

  async *#mergedChunks(): AsyncGenerator<SeriesChunk> {
    const cursors = await Promise.all(this.#spills.map((file) => BlockCursor.open(file)));
    try {
      const heap = new CursorHeap(cursors.filter((c) => !c.done));
      const out = new ChunkBuilder(this.keys, this.#chunkSize);
      let has = false;
      let metric = 0;
      let step = 0;
      let wall = 0;
      let value = 0;
      while (heap.size > 0) {
        const cursor = heap.top();
        // Sorted by (metric, step, wall time, arrival): the last of equal (metric, step) is kept.
        if (has && (metric !== cursor.metric || step !== cursor.step)) {
          const full = out.push(metric, step, wall, value);
          if (full) yield full;
        }
        has = true;
        metric = cursor.metric;
        step = cursor.step;
        wall = cursor.wall;
        value = cursor.value;
        if (!cursor.next()) await cursor.refill();
        if (cursor.done) heap.pop();
        else heap.siftDown();
      }
      if (has) {
        const full = out.push(metric, step, wall, value);
        if (full) yield full;
      }
      const last = out.flush();
      if (last) yield last;
    } finally {
      await Promise.all(cursors.map((c) => c.close()));
    }
  }
}

/** Collects settled points into chunks of one metric each. */
class ChunkBuilder {
  readonly #keys: string[];
  readonly #size: number;
  #metric = -1;
  #n = 0;
  #steps: Float64Array;
  #walls: Float64Array;
  #values: Float64Array;

  constructor(keys: string[], size: number) {
    this.#keys = keys;
    this.#size = size;
    this.#steps = new Float64Array(size);
    this.#walls = new Float64Array(size);
    this.#values = new Float64Array(size);
  }

  /** Adds a point; returns the finished chunk when the metric changed or the chunk is full. */
  push(metric: number, step: number, wall: number, value: number): SeriesChunk | undefined {
    let done: SeriesChunk | undefined;
    if (metric !== this.#metric || this.#n === this.#size) {
      done = this.flush();
      this.#metric = metric;
    }
    this.#steps[this.#n] = step;
    this.#walls[this.#n] = wall;
    this.#values[this.#n] = value;
    this.#n++;
    return done;
  }

  flush(): SeriesChunk | undefined {
    if (this.#n === 0) return undefined;
    const chunk: SeriesChunk = {
      metric: this.#keys[this.#metric]!,
      steps: this.#steps.slice(0, this.#n),
      wallTimes: this.#walls.slice(0, this.#n),
      values: this.#values.slice(0, this.#n),
    };
    this.#n = 0;
    return chunk;
  }
}
