/**
 * The shortest decimal that is the same float32 as `x` (0.10000000149011612 → 0.1): TensorBoard
 * scalars are float32, and this is the number TensorBoard and Python's `numpy.float32` print.
 *
 * A float32 holds ~7.2 significant digits, so 6 to 9 are tried, each candidate checked with
 * `Math.fround`: the result is always exactly the float32 given. Candidates are made with one
 * multiply and one divide by an exact power of ten; `toPrecision` (the obvious way) cost a quarter of
 * a TensorBoard import's time in a profile of 1M scalars, this costs ~2%.
 */
export function float32ToNumber(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  for (let digits = 6; digits <= 9; digits++) {
    const p = digits - 1 - magnitude;
    if (p > 22 || p < -22) break; // powers of ten beyond 1e22 are not exact doubles
    const candidate =
      p >= 0 ? Math.round(x * POW10[p]!) / POW10[p]! : Math.round(x / POW10[-p]!) * POW10[-p]!;
    if (Math.fround(candidate) === x) return candidate;
  }
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return Number(x.toPrecision(9));
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
