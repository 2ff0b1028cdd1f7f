import { stringifyJson } from "@exprun/core";
import type { DownsampledSeries, ExactPoint, XAxis } from "./series-read.js";

/**
 * The series response: binary, because a 1,000,000-point series downsampled to 2,000 buckets is
 * 8,000 numbers, which as JSON text is ~150 KB and as 32-bit floats 32 KB.
 *
 *   "EXS1" | u32 LE header length | header (UTF-8 JSON, NaN/±Infinity tagged as core's codec does)
 *   | zero padding to a multiple of 8 | the arrays the header points at, little-endian
 *
 * Raw points (`kind: "raw"`) are sent as float64 x and y, exactly. A bucket envelope
 * (`kind: "buckets"`) is min, max, first, last per bucket as float32 (float64 when a finite value
 * does not fit a float32), x implied: bucket i spans `from + i·(to−from)/n` … `from + (i+1)·(to−from)/n`.
 * The exact first and last point of the range are in the header in full precision.
 */
export const SERIES_MAGIC = "EXS1";
export const SERIES_CONTENT_TYPE = "application/vnd.exprun.series";

export interface SeriesHeaderEntry {
  run: string;
  metric: string;
  x: XAxis;
  count: number;
  first: ExactPoint | null;
  last: ExactPoint | null;
  kind: "raw" | "buckets";
  n: number;
  from?: number;
  to?: number;
  dtype: "f32" | "f64";
  /** Byte offset of the entry's arrays from the start of the data section. */
  offset: number;
}

export interface SeriesHeader {
  series: SeriesHeaderEntry[];
  /** Runs asked for that do not exist (any more). */
  missing: string[];
}

const F32_MAX = 3.4028234663852886e38;

export function encodeSeries(
  items: { run: string; x: XAxis; series: DownsampledSeries }[],
  missing: string[],
): Uint8Array {
  const entries: SeriesHeaderEntry[] = [];
  const arrays: (Float32Array | Float64Array)[] = [];
  let offset = 0;
  for (const { run, x, series } of items) {
    const base = {
      run,
      metric: series.metric,
      x,
      count: series.count,
      first: series.first ?? null,
      last: series.last ?? null,
      offset,
    };
    if (series.buckets) {
      const b = series.buckets;
      const fits = [b.min, b.max].every((a) => a.every((v) => !Number.isFinite(v) || Math.abs(v) <= F32_MAX));
      const parts = [b.min, b.max, b.first, b.last].map((a) => (fits ? Float32Array.from(a) : a));
      entries.push({
        ...base,
        kind: "buckets",
        n: b.min.length,
        from: b.from,
        to: b.to,
        dtype: fits ? "f32" : "f64",
      });
      for (const part of parts) {
        arrays.push(part);
        offset += part.byteLength;
      }
    } else {
      const raw = series.raw ?? { x: new Float64Array(0), y: new Float64Array(0) };
      entries.push({ ...base, kind: "raw", n: raw.x.length, dtype: "f64" });
      arrays.push(raw.x, raw.y);
      offset += raw.x.byteLength + raw.y.byteLength;
    }
    // Keep every array aligned to 8 bytes so the reader can view it without copying.
    const pad = (8 - (offset % 8)) % 8;
    if (pad) {
      arrays.push(new Float32Array(pad / 4));
      offset += pad;
    }
  }
  const header = new TextEncoder().encode(stringifyJson({ series: entries, missing } satisfies SeriesHeader));
  const headStart = 8;
  const dataStart = Math.ceil((headStart + header.byteLength) / 8) * 8;
  const out = new Uint8Array(dataStart + offset);
  out.set(new TextEncoder().encode(SERIES_MAGIC), 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, true);
  out.set(header, headStart);
  let at = dataStart;
  for (const array of arrays) {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
    at += array.byteLength;
  }
  return out;
}
