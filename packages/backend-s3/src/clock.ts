import { randomBytes } from "node:crypto";

/**
 * Versions order every write in the store: `<ms, 13 digits>-<writer id, 8 hex>-<sequence, 8 digits>`,
 * compared as strings. A version is unique (the writer id is random per backend instance, the
 * sequence counts its writes) and, like a Lamport clock, larger than every version this writer has
 * seen: a write made after reading another always orders after it, whatever the machines' clocks say.
 */
export class VersionClock {
  readonly writerId: string;
  private lastTime = 0;
  private sequence = 0;

  constructor(writerId = randomBytes(4).toString("hex")) {
    this.writerId = writerId;
  }

  next(): string {
    this.lastTime = Math.max(Date.now(), this.lastTime);
    this.sequence += 1;
    return `${String(this.lastTime).padStart(13, "0")}-${this.writerId}-${String(this.sequence % 1e8).padStart(8, "0")}`;
  }

  /** Moves the clock past a version written elsewhere. */
  observe(version: string): void {
    if (version.slice(14, 22) === this.writerId) return;
    const time = versionTime(version);
    if (time >= this.lastTime) this.lastTime = time + 1;
  }
}

/** The millisecond part of a version. */
export function versionTime(version: string): number {
  return Number(version.slice(0, 13));
}
