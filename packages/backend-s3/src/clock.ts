import { randomBytes } from "node:crypto";

const VERSION = /^\d{13}-[0-9a-f]{8}-\d{8}$/;

/**
 * A hybrid logical clock. Versions order every write in the store:
 * `<ms, 13 digits>-<writer id, 8 hex>-<sequence, 8 digits>`, compared as strings.
 *
 * A version is unique (the writer id is random per backend instance, the sequence counts its
 * writes) and larger than every version this writer has read or written: `observe` moves the
 * clock past every version a read or listing meets, and the physical clock is used only where it
 * is larger. The store reads the relevant log before every write (see `MergedLog`), so a write that
 * starts after another write was acknowledged always gets the larger version, whatever the
 * machines' clocks say. Wall clocks only keep versions close to real time.
 */
export class VersionClock {
  readonly writerId: string;
  private time = 0;
  private sequence = 0;

  constructor(
    private readonly now: () => number = Date.now,
    writerId = randomBytes(4).toString("hex"),
  ) {
    this.writerId = writerId;
  }

  next(): string {
    const physical = Math.floor(this.now());
    if (physical > this.time) this.time = physical;
    this.sequence += 1;
    if (this.sequence >= 1e8) {
      this.sequence = 1;
      this.time += 1;
    }
    return `${String(this.time).padStart(13, "0")}-${this.writerId}-${String(this.sequence).padStart(8, "0")}`;
  }

  /** Moves the clock past a version written elsewhere (or by an earlier instance). */
  observe(version: string): void {
    const time = versionTime(version);
    if (time >= this.time) this.time = time + 1;
  }
}

/** The millisecond part of a version. */
export function versionTime(version: string): number {
  return Number(version.slice(0, 13));
}

export function isVersion(value: unknown): value is string {
  return typeof value === "string" && VERSION.test(value);
}
