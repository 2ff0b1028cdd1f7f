import { randomInt } from "node:crypto";
import type { Timestamp } from "./types.js";

/** Time stamps and etags as the service makes them. */
export class Clock {
  #lastEtag = 0;
  /** The last time stamp handed out, in microseconds since the epoch. */
  #lastMicros = 0;

  /**
   * Now, to the microsecond as the service stamps resources, and strictly increasing: two
   * resources made within one millisecond (a run deleted and created again) never share a create
   * time, as they do not on Vertex.
   */
  now(): Timestamp {
    this.#lastMicros = Math.max(Date.now() * 1000, this.#lastMicros + 1);
    const seconds = Math.floor(this.#lastMicros / 1_000_000);
    return { seconds, nanos: (this.#lastMicros - seconds * 1_000_000) * 1000 };
  }

  /**
   * A fresh etag: a millisecond-timestamp string like the real service's (e.g. `1663335859173`),
   * strictly increasing, so that string order is update order (Python's retry compares them as strings).
   */
  nextEtag(): string {
    this.#lastEtag = Math.max(Date.now(), this.#lastEtag + 1);
    return String(this.#lastEtag);
  }
}

export function fromMillis(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function toMillis(t: Timestamp | null | undefined): number {
  if (!t) return 0;
  return Number(t.seconds) * 1000 + Math.floor(Number(t.nanos) / 1_000_000);
}

/** Compares two timestamps to the nanosecond. */
export function compareTimestamps(a: Timestamp | null | undefined, b: Timestamp | null | undefined): number {
  const as = a ? Number(a.seconds) : 0;
  const bs = b ? Number(b.seconds) : 0;
  if (as !== bs) return as - bs;
  return (a ? Number(a.nanos) : 0) - (b ? Number(b.nanos) : 0);
}

/** A numeric id like the ones the service gives TensorBoards and time series (19 digits). */
export function numericId(): string {
  let id = String(randomInt(1, 10));
  while (id.length < 19) id += String(randomInt(0, 10));
  return id;
}
