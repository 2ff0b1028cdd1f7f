import { isVersion } from "./clock.js";

/**
 * Time-series chunk objects (`series/<run>/<incarnation>/<version>.bin`), columnar so that a read
 * decodes a chunk into typed arrays with no per-point objects, mostly as views of the body itself:
 *
 * ```
 * offset 0   "EXS1"                          magic and format version
 * offset 4   uint32 LE  H                    header length
 * offset 8   H bytes of JSON                 {"inc": <incarnation>, "segs": [{"v": <version>, "m": [[<metric>, <points>, <steps>, <wall times>], …]}, …]}
 * columns    for each segment, for each metric: steps, wall times, values; each column starts at a
 *            multiple of 8 and is encoded as the header says:
 *              0  raw        <points> float64 LE                     (values always)
 *              1  linear     float64 first, float64 increment        (steps 1, 2, 3, …)
 *              2  deltas     float64 first, then int32 LE differences from the previous point
 * ```
 *
 * Steps and wall times are integers that mostly grow by a fixed or small amount: encoded as 1 or 2
 * they take 16 bytes or 4 bytes a point instead of 8, so a chunk is a third to a half of the raw size
 * and a read from a bandwidth-bound server is that much faster. Values are raw float64 views of the
 * body (NaN, ±Infinity and -0 exact); every encoding is exact (one is chosen only when it decodes to
 * the same doubles). A segment is one flush; its version orders it against every other flush of the
 * run, and within it each metric's points are in write order.
 */

export interface SegmentMetric {
  name: string;
  steps: Float64Array;
  wallTimes: Float64Array;
  values: Float64Array;
}

export interface Segment {
  v: string;
  metrics: SegmentMetric[];
}

export interface Chunk {
  inc: string;
  segs: Segment[];
}

/** A chunk that cannot be decoded, with the byte offset where it went wrong. */
export class ChunkError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "ChunkError";
  }
}

const MAGIC = [0x45, 0x58, 0x53, 0x31]; // "EXS1"
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;
const RAW = 0;
const LINEAR = 1;
const DELTAS = 2;
type Encoding = typeof RAW | typeof LINEAR | typeof DELTAS;

const pad8 = (n: number) => (n + 7) & ~7;

/** The most compact exact encoding of a step or wall-time column. */
function encodingOf(column: Float64Array): Encoding {
  const n = column.length;
  if (n < 2) return RAW;
  const first = column[0] as number;
  if (!Number.isSafeInteger(first) || Object.is(first, -0)) return RAW;
  const step = (column[1] as number) - first;
  let linear = Number.isSafeInteger(step);
  for (let i = 1; i < n; i++) {
    const x = column[i] as number;
    if (!Number.isSafeInteger(x) || Object.is(x, -0)) return RAW;
    const delta = x - (column[i - 1] as number);
    if (delta > 0x7fffffff || delta < -0x80000000) return RAW;
    if (linear && x !== first + i * step) linear = false;
  }
  return linear ? LINEAR : DELTAS;
}

function columnBytes(encoding: Encoding, n: number): number {
  if (encoding === LINEAR) return 16;
  if (encoding === DELTAS) return pad8(8 + 4 * (n - 1));
  return 8 * n;
}

export function encodeChunk(chunk: Chunk): Uint8Array {
  const plans = chunk.segs.map((seg) =>
    seg.metrics.map((m) => ({ m, steps: encodingOf(m.steps), walls: encodingOf(m.wallTimes) })),
  );
  const header = JSON.stringify({
    inc: chunk.inc,
    segs: chunk.segs.map((seg, s) => ({
      v: seg.v,
      m: (plans[s] ?? []).map((p) => [p.m.name, p.m.steps.length, p.steps, p.walls]),
    })),
  });
  const headerBytes = Buffer.from(header, "utf8");
  const start = pad8(8 + headerBytes.length);
  let size = start;
  for (const segment of plans) {
    for (const p of segment) {
      const n = p.m.steps.length;
      size += columnBytes(p.steps, n) + columnBytes(p.walls, n) + 8 * n;
    }
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, headerBytes.length, true);
  out.set(headerBytes, 8);
  let offset = start;
  const write = (column: Float64Array, encoding: Encoding) => {
    const n = column.length;
    if (encoding === LINEAR) {
      view.setFloat64(offset, column[0] as number, true);
      view.setFloat64(offset + 8, (column[1] as number) - (column[0] as number), true);
    } else if (encoding === DELTAS) {
      view.setFloat64(offset, column[0] as number, true);
      for (let i = 1; i < n; i++) {
        view.setInt32(offset + 8 + 4 * (i - 1), (column[i] as number) - (column[i - 1] as number), true);
      }
    } else if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), offset);
    } else {
      for (let i = 0; i < n; i++) view.setFloat64(offset + i * 8, column[i] as number, true);
    }
    offset += columnBytes(encoding, n);
  };
  for (const segment of plans) {
    for (const p of segment) {
      write(p.m.steps, p.steps);
      write(p.m.wallTimes, p.walls);
      write(p.m.values, RAW);
    }
  }
  return out;
}

type HeaderEntry = [string, number, Encoding, Encoding];

/** Decodes a chunk; values are views of `bytes` (copied once if misaligned or big-endian). */
export function decodeChunk(input: Uint8Array): Chunk {
  if (input.length < 8 || MAGIC.some((byte, i) => input[i] !== byte)) {
    throw new ChunkError("not an exprun time-series chunk (bad magic bytes)", 0);
  }
  const headerLength = new DataView(input.buffer, input.byteOffset, input.byteLength).getUint32(4, true);
  if (8 + headerLength > input.length) throw new ChunkError("truncated header", 4);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(input.buffer, input.byteOffset + 8, headerLength).toString("utf8"));
  } catch {
    throw new ChunkError("the header is not JSON", 8);
  }
  const { inc, segs } = checkHeader(header);
  const start = pad8(8 + headerLength);
  let expected = start;
  for (const seg of segs) {
    for (const [, n, steps, walls] of seg.m)
      expected += columnBytes(steps, n) + columnBytes(walls, n) + 8 * n;
  }
  if (input.length !== expected) {
    throw new ChunkError(
      `the columns should take ${expected - start} bytes after the header, but the object has ${input.length - start}`,
      Math.min(input.length, start),
    );
  }
  const bytes = LITTLE_ENDIAN && input.byteOffset % 8 === 0 ? input : input.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = start;
  const read = (encoding: Encoding, n: number): Float64Array => {
    const at = offset;
    offset += columnBytes(encoding, n);
    if (encoding === LINEAR) {
      const first = view.getFloat64(at, true);
      const step = view.getFloat64(at + 8, true);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = first + i * step;
      return out;
    }
    if (encoding === DELTAS) {
      const out = new Float64Array(n);
      let x = view.getFloat64(at, true);
      out[0] = x;
      for (let i = 1; i < n; i++) {
        x += view.getInt32(at + 8 + 4 * (i - 1), true);
        out[i] = x;
      }
      return out;
    }
    if (LITTLE_ENDIAN) return new Float64Array(bytes.buffer, bytes.byteOffset + at, n);
    return Float64Array.from({ length: n }, (_, i) => view.getFloat64(at + i * 8, true));
  };
  return {
    inc,
    segs: segs.map((seg) => ({
      v: seg.v,
      metrics: seg.m.map(([name, n, stepsEncoding, wallsEncoding]) => {
        const steps = read(stepsEncoding, n);
        const wallTimes = read(wallsEncoding, n);
        const values = read(RAW, n);
        return { name, steps, wallTimes, values };
      }),
    })),
  };
}

function checkHeader(header: unknown): { inc: string; segs: { v: string; m: HeaderEntry[] }[] } {
  const fail = (what: string) => new ChunkError(`the header ${what}`, 8);
  if (typeof header !== "object" || header === null) throw fail("is not an object");
  const { inc, segs } = header as { inc?: unknown; segs?: unknown };
  if (!isVersion(inc)) throw fail("has no incarnation");
  if (!Array.isArray(segs)) throw fail("has no segments");
  const encoding = (x: unknown) => x === RAW || x === LINEAR || x === DELTAS;
  for (const seg of segs) {
    if (typeof seg !== "object" || seg === null || !isVersion((seg as { v?: unknown }).v))
      throw fail("has a segment without a version");
    const m = (seg as { m?: unknown }).m;
    if (!Array.isArray(m)) throw fail("has a segment without metrics");
    for (const entry of m) {
      const ok =
        Array.isArray(entry) &&
        entry.length === 4 &&
        typeof entry[0] === "string" &&
        Number.isInteger(entry[1]) &&
        (entry[1] as number) >= 0 &&
        encoding(entry[2]) &&
        encoding(entry[3]) &&
        ((entry[2] === RAW && entry[3] === RAW) || (entry[1] as number) >= 2);
      if (!ok) throw fail("has a malformed metric entry");
    }
  }
  return header as { inc: string; segs: { v: string; m: HeaderEntry[] }[] };
}

/** Points in a chunk. */
export function chunkPoints(chunk: Chunk): number {
  let n = 0;
  for (const seg of chunk.segs) for (const m of seg.metrics) n += m.steps.length;
  return n;
}
