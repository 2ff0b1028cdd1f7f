import { NotFoundError, type RunRef, runNotFound, type TimeSeriesWrite } from "@exprun/core";
import { VERTEX_BACKEND_NAME } from "./options.js";
import { hasStatus, Status } from "./rpc.js";
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
  /** The run (one creation of it) the points were logged to. */
  owner: RunRef;
  tbRun: string;
  points: BufferedPoint[];
  /** display name → series resource name, filled as series are listed or created. */
  series: Map<string, string>;
  /** Whether `series` was filled from a listing (so a missing name is created without listing again). */
  listed: boolean;
  /** Whether the run was checked to be alive before the first write (see `#drain`). */
  checked: boolean;
  /** Flushes of one buffer run one after another, so points land in write order. */
  tail: Promise<void>;
}

/**
 * Throws `NotFoundError` naming the run unless the creation `ref` addresses still exists (one
 * GetContext). How the writer learns that a run was deleted, or deleted and created again, by
 * another process.
 */
export type RunCheck = (ref: RunRef) => Promise<void>;

/**
 * Buffers time-series points per TensorBoard run and run incarnation, and writes them with
 * WriteTensorboardRunData in chunks of ≤ 5,000 points. A full chunk is written as soon as it fills
 * (the caller awaits it, so memory stays bounded); the remainder at `flush()`. A failed write keeps
 * its points buffered, so a later flush retries them: nothing acknowledged is dropped.
 *
 * Points of a run that was deleted are never written where a newer run of the name could see them.
 * The run is checked (`RunCheck`) before a buffer's first write and before any write that must
 * list or create series; later writes address series by their service-generated ids, which a
 * TensorBoard run made again under the same name does not have, so the service's NOT_FOUND tells
 * (then the run is checked). A deleted run's points are dropped and the flush that would have
 * written them rejects with `NotFoundError`.
 */
export class SeriesWriter {
  readonly #session: Session;
  readonly #check: RunCheck;
  readonly #buffers = new Map<string, RunBuffer>();

  constructor(session: Session, check: RunCheck) {
    this.#session = session;
    this.#check = check;
  }

  /** Records what a reader just listed, so that the next flush need not list again. */
  noteSeries(tbRun: string, owner: RunRef, series: readonly SeriesInfo[]): void {
    const buffer = this.#buffer(tbRun, owner);
    for (const s of series) buffer.series.set(s.metric, s.name);
    buffer.listed = true;
  }

  async append(tbRun: string, owner: RunRef, writes: readonly TimeSeriesWrite[]): Promise<void> {
    const buffer = this.#buffer(tbRun, owner);
    for (const write of writes) {
      for (const [metric, value] of Object.entries(write.values)) {
        buffer.points.push({ metric, step: write.step, wallTime: write.wallTime, value });
      }
    }
    if (buffer.points.length >= WRITE_CHUNK_POINTS) await this.#schedule(buffer, false);
  }

  /** Writes every buffered point of one run (and of calls that named no incarnation) to its TensorBoard run. */
  async flushRun(tbRun: string, owner: RunRef): Promise<void> {
    const keys = new Set([keyOf(tbRun, owner), keyOf(tbRun, { ...owner, incarnation: undefined })]);
    for (const key of keys) {
      const buffer = this.#buffers.get(key);
      if (buffer) await this.#flush(buffer);
    }
  }

  async flushAll(): Promise<void> {
    const results = await Promise.allSettled([...this.#buffers.values()].map((b) => this.#flush(b)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * The run of these buffers is being deleted by this process: their points go with it, before any
   * flush could write them (so no flush has anything of them to refuse). A later append addressed to
   * the deleted run starts a new buffer, which its first flush finds deleted and refuses.
   */
  discard(tbRun: string): void {
    for (const [key, buffer] of this.#buffers) if (buffer.tbRun === tbRun) this.#buffers.delete(key);
  }

  pendingPoints(): number {
    let n = 0;
    for (const buffer of this.#buffers.values()) n += buffer.points.length;
    return n;
  }

  #buffer(tbRun: string, owner: RunRef): RunBuffer {
    const key = keyOf(tbRun, owner);
    let buffer = this.#buffers.get(key);
    if (!buffer) {
      buffer = {
        owner: { experiment: owner.experiment, run: owner.run, incarnation: owner.incarnation },
        tbRun,
        points: [],
        series: new Map(),
        listed: false,
        checked: false,
        tail: Promise.resolve(),
      };
      this.#buffers.set(key, buffer);
    }
    return buffer;
  }

  async #flush(buffer: RunBuffer): Promise<void> {
    if (buffer.points.length > 0) await this.#schedule(buffer, true);
    else await buffer.tail;
  }

  #schedule(buffer: RunBuffer, all: boolean): Promise<void> {
    const run = buffer.tail.then(() => this.#drain(buffer, all));
    buffer.tail = run.catch(() => undefined);
    return run;
  }

  async #drain(buffer: RunBuffer, all: boolean): Promise<void> {
    try {
      while (buffer.points.length >= (all ? 1 : WRITE_CHUNK_POINTS)) {
        const chunk = buffer.points.slice(0, WRITE_CHUNK_POINTS);
        const unknownSeries = chunk.some((p) => !buffer.series.has(p.metric));
        if (!buffer.checked || unknownSeries) {
          // Listing or creating series in a TensorBoard run of another creation would mix runs.
          await this.#check(buffer.owner);
          buffer.checked = true;
        }
        await ensureSeries(
          this.#session,
          buffer.tbRun,
          buffer.series,
          chunk.map((p) => p.metric),
          buffer.listed,
        );
        buffer.listed = true;
        try {
          await this.#write(buffer.tbRun, buffer.series, chunk);
        } catch (error) {
          // Series ids this buffer knows are gone: the run (or its TensorBoard run) was deleted.
          if (!hasStatus(error, Status.NOT_FOUND)) throw error;
          await this.#check(buffer.owner);
          buffer.series.clear();
          buffer.listed = false;
          throw error;
        }
        // Appends only push at the end, so the written chunk is still the head of the buffer.
        buffer.points.splice(0, chunk.length);
      }
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      // Deleted with their run: never written anywhere a newer run of the name could see them.
      buffer.points = [];
      this.#buffers.delete(keyOf(buffer.tbRun, buffer.owner));
      throw notFound(buffer.owner, error);
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

function keyOf(tbRun: string, owner: RunRef): string {
  return `${tbRun}\u0000${owner.incarnation ?? ""}`;
}

function notFound(ref: RunRef, cause: unknown): NotFoundError {
  const error = runNotFound(
    { ...ref, incarnation: ref.incarnation ?? "" },
    { backend: VERTEX_BACKEND_NAME, hint: "Its buffered time-series points were discarded with it." },
  );
  return Object.defineProperty(error, "cause", { value: cause, configurable: true });
}
