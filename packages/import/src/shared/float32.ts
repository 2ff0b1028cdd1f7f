/**
 * The shortest decimal that is the same float32 as `x` (0.10000000149011612 → 0.1): TensorBoard
 * scalars are float32, and this is the number TensorBoard and Python's `numpy.float32` print.
 * Starting at 6 digits finds it in one or two tries (a float32 holds ~7.2 decimal digits).
 */
export function float32ToNumber(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return Number(x.toPrecision(9));
}
