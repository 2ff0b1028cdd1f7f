import type { ImportReport } from "./model.js";

/** Warnings past this many are counted, not kept: a badly damaged source must not fill memory with them. */
export const MAX_WARNINGS = 1000;

/** Collects skipped items and warnings; `onWarning` sees each warning as it happens. */
export class Report implements ImportReport {
  readonly #skipped: Record<string, number> = {};
  readonly #warnings: string[] = [];
  #dropped = 0;
  readonly #onWarning: ((message: string) => void) | undefined;

  constructor(onWarning?: (message: string) => void) {
    this.#onWarning = onWarning;
  }

  get skipped(): Readonly<Record<string, number>> {
    return { ...this.#skipped };
  }

  get warnings(): readonly string[] {
    return this.#dropped === 0
      ? [...this.#warnings]
      : [...this.#warnings, `… and ${this.#dropped} more warnings`];
  }

  skip(kind: string, count = 1): void {
    if (count > 0) this.#skipped[kind] = (this.#skipped[kind] ?? 0) + count;
  }

  warn(message: string): void {
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push(message);
    else this.#dropped++;
    this.#onWarning?.(message);
  }
}
