import { isVersion } from "./clock.js";

/**
 * Time-series chunk objects (`series/<run>/<incarnation>/<version>.bin`), columnar so that a read
 * decodes a chunk into typed-array views of the body it received, with no per-point objects:
 *
 * ```
 * offset 0   "EXS1"                          magic and format version
 * offset 4   uint32 LE  H                    header length
 * offset 8   H bytes of JSON                 {"inc": <incarnation>, "segs": [{"v": <version>, "m": [[<metric>, <points>], …]}, …]}
 * padding to a multiple of 8
 * columns    for each segment, for each metric: steps, wall times, values, each <points> float64 LE
 * ```
 *
 * A segment is one flush; its version orders it against every other flush of the run, and within it
 * each metric's points are in write order. Float64 keeps NaN, ±Infinity and -0 exactly.
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

const pad8 = (n: number) => (n + 7) & ~7;

export function encodeChunk(chunk: Chunk): Uint8Array {
  const header = JSON.stringify({
    inc: chunk.inc,
    segs: chunk.segs.map((seg) => ({ v: seg.v, m: seg.metrics.map((m) => [m.name, m.steps.length]) })),
  });
  const headerBytes = Buffer.from(header, "utf8");
  const start = pad8(8 + headerBytes.length);
  let points = 0;
  for (const seg of chunk.segs) for (const m of seg.metrics) points += m.steps.length;
  const out = new Uint8Array(start + points * 24);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, headerBytes.length, true);
  out.set(headerBytes, 8);
  const view = new DataView(out.buffer);
  let offset = start;
  const column = (values: Float64Array) => {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
    else for (let i = 0; i < values.length; i++) view.setFloat64(offset + i * 8, values[i] as number, true);
    offset += values.byteLength;
  };
  for (const seg of chunk.segs) {
    for (const m of seg.metrics) {
      column(m.steps);
      column(m.wallTimes);
      column(m.values);
    }
  }
  return out;
}

/** Decodes a chunk; the columns are views of `bytes` (copied once if misaligned or big-endian). */
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
  let points = 0;
  for (const seg of segs) for (const [, n] of seg.m) points += n;
  const start = pad8(8 + headerLength);
  if (input.length !== start + points * 24) {
    throw new ChunkError(
      `the columns should take ${points * 24} bytes after the header, but the object has ${input.length - start}`,
      Math.min(input.length, start),
    );
  }
  const bytes = LITTLE_ENDIAN && input.byteOffset % 8 === 0 ? input : input.slice();
  const read = (offset: number, n: number): Float64Array => {
    if (LITTLE_ENDIAN) return new Float64Array(bytes.buffer, bytes.byteOffset + offset, n);
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * 8);
    return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
  };
  let offset = start;
  return {
    inc,
    segs: segs.map((seg) => ({
      v: seg.v,
      metrics: seg.m.map(([name, n]) => {
        const steps = read(offset, n);
        const wallTimes = read(offset + n * 8, n);
        const values = read(offset + n * 16, n);
        offset += n * 24;
        return { name, steps, wallTimes, values };
      }),
    })),
  };
}

function checkHeader(header: unknown): { inc: string; segs: { v: string; m: [string, number][] }[] } {
  const fail = (what: string) => new ChunkError(`the header ${what}`, 8);
  if (typeof header !== "object" || header === null) throw fail("is not an object");
  const { inc, segs } = header as { inc?: unknown; segs?: unknown };
  if (!isVersion(inc)) throw fail("has no incarnation");
  if (!Array.isArray(segs)) throw fail("has no segments");
  for (const seg of segs) {
    if (typeof seg !== "object" || seg === null || !isVersion((seg as { v?: unknown }).v))
      throw fail("has a segment without a version");
    const m = (seg as { m?: unknown }).m;
    if (!Array.isArray(m)) throw fail("has a segment without metrics");
    for (const entry of m) {
      if (
        !Array.isArray(entry) ||
        entry.length !== 2 ||
        typeof entry[0] !== "string" ||
        !Number.isInteger(entry[1]) ||
        (entry[1] as number) < 0
      )
        throw fail("has a malformed metric entry");
    }
  }
  return header as { inc: string; segs: { v: string; m: [string, number][] }[] };
}

/** Points in a chunk. */
export function chunkPoints(chunk: Chunk): number {
  let n = 0;
  for (const seg of chunk.segs) for (const m of seg.metrics) n += m.steps.length;
  return n;
}
