/**
 * Step numbering of `logTimeSeriesMetrics` without an explicit step: the largest step logged to the
 * run so far + 1 (1 on a new run), as Python does. The store is asked once per run object; after that
 * every logged step (explicit or not) is noted here, so the common case costs nothing.
 */
export class StepCounter {
  /** Largest step known, `undefined` until the store was asked. */
  #largest: number | undefined;
  /** Largest step this object logged before the store answered. */
  #localLargest = 0;
  #lookup: Promise<number> | undefined;

  constructor(private readonly readLargestStored: () => Promise<number>) {}

  /** The next step without waiting, or `undefined` when the store must be asked first. */
  nextKnown(): number | undefined {
    return this.#largest === undefined ? undefined : this.#largest + 1;
  }

  /** The store holds no step yet (a run just created): the next implicit step needs no lookup. */
  nothingStored(): void {
    this.#largest ??= this.#localLargest;
  }

  /** Every logged step counts towards "the largest step so far". */
  note(step: number): void {
    if (step > this.#localLargest) this.#localLargest = step;
    if (this.#largest !== undefined && step > this.#largest) this.#largest = step;
  }

  /** The next step, asking the store (once) for the largest stored step. Reserves it. */
  async next(): Promise<number> {
    if (this.#largest === undefined) {
      this.#lookup ??= this.readLargestStored();
      const stored = await this.#lookup;
      this.#largest ??= Math.max(stored, this.#localLargest);
    }
    this.#largest += 1;
    return this.#largest;
  }
}
