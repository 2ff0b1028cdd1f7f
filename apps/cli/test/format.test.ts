import { describe, expect, it } from "vitest";
import { compareRuns } from "../src/commands/compare.js";
import { renderChart } from "../src/format/chart.js";
import { pandasTimestamp, pythonFloat, toCsv } from "../src/format/csv.js";
import { renderTable, visibleWidth } from "../src/format/table.js";
import { parseAssignments, parseScalar } from "../src/values.js";

describe("CSV cells as pandas writes them", () => {
  it.each([
    [0.1, "0.1"],
    [4, "4.0"],
    [-2.5, "-2.5"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [9999999999999998, "9999999999999998.0"],
    [0.30000000000000004, "0.30000000000000004"],
    [3.14e-10, "3.14e-10"],
    [Number.NaN, ""],
    [Number.POSITIVE_INFINITY, "inf"],
    [Number.NEGATIVE_INFINITY, "-inf"],
    [0, "0.0"],
  ])("writes %d as Python's repr %j", (value, text) => {
    expect(pythonFloat(value)).toBe(text);
  });

  it("quotes only fields with commas, quotes or line breaks, and writes booleans and dates like pandas", () => {
    const csv = toCsv(
      ["a", "b", "c", "d", "step"],
      [{ a: 'x, "y"', b: true, c: null, d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), step: 3 }],
      new Set(["step"]),
    );
    expect(csv).toBe('a,b,c,d,step\n"x, ""y""",True,,2024-01-02 03:04:05.006000+00:00,3\n');
    expect(pandasTimestamp(new Date(0))).toBe("1970-01-01 00:00:00.000000+00:00");
  });
});

describe("tables", () => {
  it("measures width without colour codes", () => {
    expect(visibleWidth("\u001b[1mrun\u001b[22m")).toBe(3);
    expect(visibleWidth("≠ héllo")).toBe(7);
  });

  it("aligns numeric columns right and draws multi-line cells", () => {
    const text = renderTable({
      head: ["k", "v"],
      rows: [
        ["a\nb", "1"],
        ["c", "22"],
      ],
      numeric: [false, true],
    });
    expect(text.split("\n")).toEqual([
      "┌───┬────┐",
      "│ k │ v  │",
      "├───┼────┤",
      "│ a │  1 │",
      "│ b │    │",
      "│ c │ 22 │",
      "└───┴────┘",
    ]);
  });
});

describe("charts", () => {
  it("overlays runs of different lengths and skips non-finite values", () => {
    const chart = renderChart(
      "loss",
      [
        { label: "a", points: [1, 2, 3, 4].map((step) => ({ step, value: 1 / step })) },
        {
          label: "b",
          points: [
            { step: 1, value: Number.NaN },
            { step: 2, value: 0.8 },
          ],
        },
      ],
      { width: 20, height: 5, color: false },
    );
    const lines = chart.split("\n");
    expect(lines[0]).toBe("loss");
    expect(lines.at(-1)).toBe("  (1) a   (2) b");
    expect(lines.at(-2)).toMatch(/step 1\s+4$/);
    expect(chart).not.toContain("NaN");
  });

  it("says so when there is nothing finite to plot", () => {
    expect(
      renderChart("x", [{ label: "a", points: [{ step: 1, value: Number.NaN }] }], {
        width: 10,
        height: 3,
        color: false,
      }),
    ).toBe("x: no finite values to plot.");
  });
});

describe("key=value arguments", () => {
  it("types values as numbers, booleans and strings", () => {
    expect(parseAssignments(["lr=0.1", "n=3", "ok=true", "opt=adam", "v=1.10", "e=1e-3", "eq=a=b"])).toEqual({
      lr: 0.1,
      n: 3,
      ok: true,
      opt: "adam",
      v: 1.1,
      e: 0.001,
      eq: "a=b",
    });
    expect(parseAssignments(["v=1.10"], true)).toEqual({ v: "1.10" });
    expect(parseScalar("NaN")).toBeNaN();
    expect(parseScalar("-inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(() => parseAssignments(["novalue"])).toThrow(/Expected key=value/);
  });
});

describe("compare", () => {
  it("marks rows whose values differ or are missing in a run", () => {
    const run = (name: string, params: Record<string, number>) => ({
      experiment: "e",
      name,
      incarnation: name,
      runType: "system.ExperimentRun",
      state: "COMPLETE" as const,
      params,
      metrics: {},
      tags: {},
      description: "",
      createTime: 0,
      updateTime: 0,
    });
    const rows = compareRuns([
      run("a", { lr: 0.1, x: Number.NaN }),
      run("b", { lr: 0.1, x: Number.NaN, y: 1 }),
    ]);
    expect(rows).toEqual([
      { key: "state", values: ["COMPLETE", "COMPLETE"], differs: false },
      { key: "param.lr", values: [0.1, 0.1], differs: false },
      { key: "param.x", values: [Number.NaN, Number.NaN], differs: false },
      { key: "param.y", values: [null, 1], differs: true },
    ]);
  });
});
