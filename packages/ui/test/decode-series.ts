import { parseJson } from "@exprun/core";
import { expect } from "vitest";
import type { SeriesHeader, SeriesHeaderEntry } from "../src/index.js";

/** Reads the series wire format independently of the page's decoder: header entries and their arrays. */
export function decodeSeriesResponse(bytes: Uint8Array): {
  series: (SeriesHeaderEntry & { arrays: number[][] })[];
  missing: string[];
} {
  expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("EXS1");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(4, true);
  const header = parseJson<SeriesHeader>(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const data = Math.ceil((8 + length) / 8) * 8;
  const series = header.series.map((entry) => {
    const count = entry.kind === "raw" ? 2 : 4;
    const size = entry.kind === "raw" || entry.dtype === "f64" ? 8 : 4;
    const arrays: number[][] = [];
    for (let k = 0; k < count; k++) {
      const at = data + entry.offset + k * size * entry.n;
      const copy = bytes.slice(at, at + size * entry.n);
      arrays.push([...(size === 8 ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer))]);
    }
    return { ...entry, arrays };
  });
  return { series, missing: header.missing };
}
