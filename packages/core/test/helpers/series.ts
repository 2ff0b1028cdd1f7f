import type { SeriesChunk, SeriesPoint } from "../../src/index.js";

/** A seeded PRNG (mulberry32): the same "random" series on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Points as chunks of at most `size`, in the given order (metric runs kept together per chunk). */
export function toChunks(points: readonly SeriesPoint[], size: number): SeriesChunk[] {
  const chunks: SeriesChunk[] = [];
  let i = 0;
  while (i < points.length) {
    const metric = points[i]!.metric;
    let j = i;
    while (j < points.length && j - i < size && points[j]!.metric === metric) j++;
    const slice = points.slice(i, j);
    chunks.push({
      metric,
      steps: Float64Array.from(slice, (p) => p.step),
      wallTimes: Float64Array.from(slice, (p) => p.wallTime),
      values: Float64Array.from(slice, (p) => p.value),
    });
    i = j;
  }
  return chunks;
}

/** A read function over fixed chunks that counts its calls and ignores the query, as a store MAY. */
export function readerOf(chunks: readonly SeriesChunk[]): {
  read: () => AsyncIterable<SeriesChunk>;
  calls: () => number;
} {
  let calls = 0;
  return {
    read: () => {
      calls++;
      return (async function* () {
        yield* chunks;
      })();
    },
    calls: () => calls,
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
