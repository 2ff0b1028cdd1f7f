import type { RunRef, SeriesPoint, TimeSeriesWrite } from "@exprun/core";
import { readIfExists } from "./fsio.js";
import { expectNumber, optionalObject, parseLines } from "./jsonl.js";
import { decodeScalar, numberText } from "./values.js";

/**
 * Time-series points of one run, as JSON Lines: one line per `TimeSeriesWrite`,
 * `{"step":3,"wallTime":1700000000000,"values":{"loss":0.25,"acc":{"$float":"NaN"}}}`.
 */

const keyCache = new Map<string, string>();

/** `"name":` for a metric, cached: metric names repeat on every line. */
function keyJson(metric: string): string {
  let json = keyCache.get(metric);
  if (json === undefined) {
    json = `${JSON.stringify(metric)}:`;
    if (keyCache.size < 100_000) keyCache.set(metric, json);
  }
  return json;
}

/** True when `JSON.stringify` writes `value` exactly: not NaN, not ±Infinity, not -0. */
function plainNumber(value: number): boolean {
  return value - value === 0 && (value !== 0 || 1 / value > 0);
}

/** One write as a line (with its newline). */
export function encodeWrite(write: TimeSeriesWrite): string {
  const head = `{"step":${numberText(write.step)},"wallTime":${numberText(write.wallTime)},"values":`;
  const values = write.values;
  let plain = true;
  for (const metric in values) {
    if (!plainNumber(values[metric]!)) {
      plain = false;
      break;
    }
  }
  // JSON.stringify's native serialiser is 2-3× faster than building the object text in JS.
  if (plain) return `${head}${JSON.stringify(values)}}\n`;
  let line = `${head}{`;
  let first = true;
  for (const metric in values) {
    line += (first ? "" : ",") + keyJson(metric) + numberText(values[metric]!);
    first = false;
  }
  return `${line}}}\n`;
}

/** Every point in a run's series file, in write order; `metrics` filters. A torn last line is skipped. */
export async function readSeriesFile(file: string, metrics?: readonly string[]): Promise<SeriesPoint[]> {
  const bytes = await readIfExists(file);
  if (!bytes) return [];
  const end = bytes.lastIndexOf(10) + 1;
  const wanted = metrics ? new Set(metrics) : undefined;
  const points: SeriesPoint[] = [];
  parseLines(bytes.toString("utf8", 0, end), file, 0, (record) => {
    const step = expectNumber(record, "step");
    const wallTime = expectNumber(record, "wallTime");
    const values = optionalObject(record, "values");
    if (!values) throw new Error(`field "values" must be an object`);
    for (const metric in values) {
      if (wanted && !wanted.has(metric)) continue;
      const value = decodeScalar(values[metric]);
      if (typeof value !== "number") throw new Error(`value of "${metric}" must be a number`);
      points.push({ metric, step, wallTime, value });
    }
  });
  return points;
}

/** Points of one run waiting to be appended. */
export interface RunBuffer {
  ref: RunRef;
  /** The run incarnation the points belong to. */
  uid: string;
  parts: string[];
  chars: number;
  /** Latest point per metric among `parts`, folded into the experiment log at flush. */
  latest: Record<string, SeriesPoint>;
  /** Appended since the last fsync. */
  unsynced: boolean;
  /** Appends of this run, in order: a later chunk never overtakes an earlier one. */
  chain: Promise<void>;
}

export function newBuffer(ref: RunRef, uid: string): RunBuffer {
  return { ref, uid, parts: [], chars: 0, latest: {}, unsynced: false, chain: Promise.resolve() };
}

/** Adds writes to a buffer; resolves the number of characters added. */
export function bufferWrites(buffer: RunBuffer, writes: readonly TimeSeriesWrite[]): number {
  let added = 0;
  for (const write of writes) {
    let any = false;
    for (const metric in write.values) {
      any = true;
      const value = write.values[metric]!;
      const current = buffer.latest[metric];
      if (current === undefined) {
        buffer.latest[metric] = { metric, step: write.step, wallTime: write.wallTime, value };
      } else if (write.step >= current.step) {
        // same rule as core's isLaterPoint; updated in place (this runs once per point)
        current.step = write.step;
        current.wallTime = write.wallTime;
        current.value = value;
      }
    }
    if (!any) continue;
    const line = encodeWrite(write);
    buffer.parts.push(line);
    added += line.length;
  }
  buffer.chars += added;
  return added;
}
