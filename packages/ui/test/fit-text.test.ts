// Canvas labels are cut to their width in a bounded number of measurements, whatever the length of
// the store string (a 100 KB param value used to freeze the compare page's parallel coordinates).
import { describe, expect, it } from "vitest";
import { fitText, LABEL_CHARS } from "../src/web/charts/fit-text.js";

/** A monospace "canvas": 7 px per character; counts calls and the characters measured. */
function meter() {
  const m = { calls: 0, chars: 0, measure: (_: string) => 0 };
  m.measure = (t: string) => {
    m.calls++;
    m.chars += t.length;
    return t.length * 7;
  };
  return m;
}

describe("fitText", () => {
  it("keeps a label that fits, with one measurement", () => {
    const m = meter();
    expect(fitText(m.measure, "lr", 100)).toBe("lr");
    expect(m.calls).toBe(1);
  });

  it("cuts to the longest prefix that fits with the ellipsis", () => {
    const m = meter();
    const out = fitText(m.measure, "abcdefghijklmnopqrstuvwxyz", 70);
    expect(out).toBe("abcdefghi…");
    expect(m.measure(out)).toBeLessThanOrEqual(70);
    expect(fitText(meter().measure, "abcdef", 1)).toBe("a…");
  });

  it("measures a 100,000-character value a bounded number of times, on bounded text", () => {
    const m = meter();
    const out = fitText(m.measure, "A".repeat(100_000), 60);
    expect(out).toBe("AAAAAAA…");
    expect(m.calls).toBeLessThanOrEqual(12);
    expect(m.chars).toBeLessThanOrEqual(12 * (LABEL_CHARS + 1));
  });

  it("adds the ellipsis to a long value even where its first characters would all fit", () => {
    const zeroWidth = (t: string) => (t.endsWith("…") ? 7 : 0);
    expect(fitText(zeroWidth, "\u200b".repeat(10_000), 50)).toBe(`${"\u200b".repeat(LABEL_CHARS)}…`);
  });
});
