import { describe, expect, it } from "vitest";
import { type Chunk, ChunkError, decodeChunk, encodeChunk } from "../src/chunk-codec.js";

const v = (n: number) => `17000000000${String(n).padStart(2, "0")}-0badc0de-${String(n).padStart(8, "0")}`;
const column = (xs: number[]) => Float64Array.from(xs);

function roundTrip(steps: number[], wallTimes: number[], values: number[]) {
  const chunk: Chunk = {
    inc: v(1),
    segs: [
      {
        v: v(2),
        metrics: [
          { name: "m ü", steps: column(steps), wallTimes: column(wallTimes), values: column(values) },
        ],
      },
    ],
  };
  const bytes = encodeChunk(chunk);
  const back = decodeChunk(bytes).segs[0]?.metrics[0];
  expect(back?.name).toBe("m ü");
  for (const [got, want] of [
    [back?.steps, steps],
    [back?.wallTimes, wallTimes],
    [back?.values, values],
  ] as const) {
    expect(got?.length).toBe(want.length);
    for (const [i, x] of want.entries())
      expect(Object.is(got?.[i], x), `${i}: ${got?.[i]} vs ${x}`).toBe(true);
  }
  return bytes.length;
}

describe("time-series chunk codec", () => {
  it("keeps every column exactly, whichever encoding it picks", () => {
    const n = 1000;
    const steps = Array.from({ length: n }, (_, i) => i + 1);
    const regular = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + 1000 * i);
    const irregular = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 997 + ((i * 7919) % 13));
    const values = Array.from({ length: n }, (_, i) => Math.sin(i));
    const linear = roundTrip(steps, regular, values);
    const deltas = roundTrip(steps, irregular, values);
    // Linear steps and wall times cost 32 bytes in all; irregular wall times 4 bytes a point.
    expect(linear).toBeLessThan(8 * n + 200);
    expect(deltas).toBeLessThan(12 * n + 200);
    // What no compact encoding can hold exactly stays raw.
    roundTrip([0, 1.5, 2], [1, 2 ** 40, 3], [Number.NaN, -0, Number.POSITIVE_INFINITY]);
    roundTrip([-0, 1], [5, 5], [Number.NEGATIVE_INFINITY, 0]);
    roundTrip([3], [4], [5]);
    roundTrip([], [], []);
    roundTrip([2 ** 53 - 1, 2 ** 53 - 2], [0, 1], [1, 2]);
  });

  it("refuses what is not a chunk, saying where", () => {
    expect(() => decodeChunk(new Uint8Array([1, 2, 3]))).toThrow(ChunkError);
    const good = encodeChunk({
      inc: v(1),
      segs: [
        {
          v: v(2),
          metrics: [{ name: "a", steps: column([1, 2]), wallTimes: column([1, 2]), values: column([1, 2]) }],
        },
      ],
    });
    const truncated = good.slice(0, good.length - 8);
    expect(() => decodeChunk(truncated)).toThrow(/columns should take/);
    const garbled = good.slice();
    garbled[10] = 0x7b; // '{' inside the header: no longer JSON
    expect(() => decodeChunk(garbled)).toThrow(ChunkError);
  });
});
