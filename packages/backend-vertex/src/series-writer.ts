import type { TimeSeriesWrite } from "@exprun/core";
import { ensureSeries, type SeriesInfo } from "./series-catalog.js";
import { lastSegment, type Session, toTimestamp } from "./session.js";

/** Service limit of WriteTensorboardRunData (VERTEX.md §10.2). */
export const WRITE_CHUNK_POINTS = 5000;

interface BufferedPoint {
  metric: string;
  step: number;
  wallTime: number;
  value: number;
}

interface RunBuffer {
  points: BufferedPoint[];
  /** display name → series resource name, filled as series are listed or created. */
  series: Map<string, string>;
  /** Whether `series` was filled from a listing (so a missing name is created without listing again). */
  listed: boolean;
  /** Flushes of one TensorBoard run run one after another, so points land in write order. */
  tail: Promise<void>;
}

/**
 * Buffers time-series points per TensorBoard run and writes them with WriteTensorboardRunData in
 * chunks of ≤ 5,000 points. A full chunk is written as soon as it fills (the caller awaits it, so
 * memory stays bounded); the remainder at `flush()`. A failed write keeps its points buffered, so a
 * later flush retries them: nothing acknowledged is dropped.
 */
export class SeriesWriter {
  readonly #session: Session;
  readonly #runs = new Map<string, RunBuffer>();

  constructor(session: Session) {
    this.#session = session;
  }

  /** Records what a reader just listed, so that the next flush need not list again. */
  noteSeries(tbRun: string, series: readonly SeriesInfo[]): void {
    const buffer = this.#buffer(tbRun);
    for (const s of series) buffer.series.set(s.metric, s.name);
    buffer.listed = true;
  }

  async append(tbRun: string, writes: readonly TimeSeriesWrite[]): Promise<void> {
    const buffer = this.#buffer(tbRun);
    for (const write of writes) {
      for (const [metric, value] of Object.entries(write.values)) {
        buffer.points.push({ metric, step: write.step, wallTime: write.wallTime, value });
      }
    }
    if (buffer.points.length >= WRITE_CHUNK_POINTS) await this.#schedule(tbRun, buffer, false);
  }

  /** Writes every buffered point of one TensorBoard run. */
  async flushRun(tbRun: string): Promise<void> {
    const buffer = this.#runs.get(tbRun);
    if (buffer && buffer.points.length > 0) await this.#schedule(tbRun, buffer, true);
    else if (buffer) await buffer.tail;
  }

  async flushAll(): Promise<void> {
    const results = await Promise.allSettled([...this.#runs.keys()].map((tbRun) => this.flushRun(tbRun)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** Drops the buffer of a TensorBoard run that is being deleted. */
  discard(tbRun: string): void {
    this.#runs.delete(tbRun);
  }

  pendingPoints(): number {
    let n = 0;
    for (const buffer of this.#runs.values()) n += buffer.points.length;
    return n;
  }

  #buffer(tbRun: string): RunBuffer {
    let buffer = this.#runs.get(tbRun);
    if (!buffer) {
      buffer = { points: [], series: new Map(), listed: false, tail: Promise.resolve() };
      this.#runs.set(tbRun, buffer);
    }
    return buffer;
  }

  #schedule(tbRun: string, buffer: RunBuffer, all: boolean): Promise<void> {
    const run = buffer.tail.then(() => this.#drain(tbRun, buffer, all));
    buffer.tail = run.catch(() => undefined);
    return run;
  }

  async #drain(tbRun: string, buffer: RunBuffer, all: boolean): Promise<void> {
    while (buffer.points.length >= (all ? 1 : WRITE_CHUNK_POINTS)) {
      const chunk = buffer.points.slice(0, WRITE_CHUNK_POINTS);
      await ensureSeries(
        this.#session,
        tbRun,
        buffer.series,
        chunk.map((p) => p.metric),
        buffer.listed,
      );
      buffer.listed = true;
      await this.#write(tbRun, buffer.series, chunk);
      // Appends only push at the end, so the written chunk is still the head of the buffer.
      buffer.points.splice(0, chunk.length);
    }
  }

  async #write(tbRun: string, series: Map<string, string>, chunk: readonly BufferedPoint[]): Promise<void> {
    // One point per (series, step) per request: a later point of the same step supersedes, as on the service.
    const bySeries = new Map<string, Map<number, BufferedPoint>>();
    for (const point of chunk) {
      const id = lastSegment(series.get(point.metric) ?? "");
      let steps = bySeries.get(id);
      if (!steps) {
        steps = new Map();
        bySeries.set(id, steps);
      }
      steps.delete(point.step);
      steps.set(point.step, point);
    }
    const timeSeriesData = [...bySeries].map(([id, steps]) => ({
      tensorboardTimeSeriesId: id,
      valueType: "SCALAR" as const,
      values: [...steps.values()].map((p) => ({
        step: p.step,
        wallTime: toTimestamp(p.wallTime),
        scalar: { value: p.value },
      })),
    }));
    // Idempotent: rewriting a step overwrites it, so a retried write cannot duplicate points.
    await this.#session.call(() =>
      this.#session.tb.writeTensorboardRunData({ tensorboardRun: tbRun, timeSeriesData }),
    );
  }
}
