import { describe, expect, it } from "vitest";
import { compareRuns } from "../src/commands/compare.js";
import { renderChart } from "../src/format/chart.js";
import { pandasTimestamp, pythonFloat, toCsv } from "../src/format/csv.js";
import { safe, safeLines } from "../src/format/safe.js";
import { renderTable, truncate, visibleWidth } from "../src/format/table.js";
import { formatValue } from "../src/format/value.js";
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
  it("measures width without colour codes, with CJK and emoji two columns wide", () => {
    expect(visibleWidth("\u001b[1mrun\u001b[22m")).toBe(3);
    expect(visibleWidth("≠ héllo")).toBe(7);
    expect(visibleWidth("学习率")).toBe(6);
    expect(visibleWidth("🚀 go")).toBe(5);
    expect(visibleWidth("e\u0301")).toBe(1);
    expect(visibleWidth("Ünïcödé")).toBe(7);
    expect(visibleWidth("한국어")).toBe(6);
    expect(visibleWidth("\u1112\u1161\u11ab")).toBe(2); // 한 as jamo: one wide grapheme
    expect(visibleWidth("👩‍💻 dev")).toBe(6);
    expect(visibleWidth("🚀🚀🚀")).toBe(6);
    expect(visibleWidth("𝒳 x")).toBe(3);
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

  // Guards against CJK and emoji cells pushing the borders out of line (code points counted).
  it("keeps borders aligned for CJK and emoji cells", () => {
    const text = renderTable({
      head: ["name", "v"],
      rows: [
        ["学习率", "1"],
        ["🚀🚀", "2"],
        ["plain", "3"],
      ],
    });
    const widths = new Set(text.split("\n").map(visibleWidth));
    expect(widths).toEqual(new Set([visibleWidth(text.split("\n")[0]!)]));
  });

  // Guards against an 8 KB param making megabytes of table.
  it("cuts long cells with an ellipsis, by display width and without splitting colour codes", () => {
    const text = renderTable({ head: ["k"], rows: [["x".repeat(8192)]], maxCellWidth: 20 });
    expect(text.split("\n")[3]).toBe(`│ ${"x".repeat(19)}… │`);
    expect(truncate("学习率学习率", 7)).toBe("学习率…");
    expect(visibleWidth(truncate("学习率学习率", 7))).toBeLessThanOrEqual(7);
    expect(truncate("\u001b[1mabcdefghij\u001b[22m", 5)).toBe("\u001b[1mabcd…\u001b[0m");
    expect(truncate("short", 5)).toBe("short");
  });
});

describe("store text on a terminal", () => {
  it("escapes control characters, DEL, C1 and bidi overrides, and leaves the rest alone", () => {
    expect(safe("a\u001b[2Jb")).toBe("a\\u001b[2Jb");
    expect(safe("\u001b]52;c;aGk=\u0007")).toBe("\\u001b]52;c;aGk=\\u0007");
    expect(safe("x\ry\nz\tw")).toBe("x\\ry\\nz\\tw");
    expect(safe("\u009b31m \u007f \u202eevil")).toBe("\\u009b31m \\u007f \\u202eevil");
    expect(safe("héllo 学习率 🚀 ≠")).toBe("héllo 学习率 🚀 ≠");
    expect(safeLines("line 1\nline\u001b 2")).toBe("line 1\nline\\u001b 2");
  });

  it("formats string values safely and numbers as before", () => {
    expect(formatValue("val\u001b[8m")).toBe("val\\u001b[8m");
    expect(formatValue(0.5)).toBe("0.5");
  });
});

describe("CSV for spreadsheets", () => {
  it("is pandas' output by default and defuses formulas in text cells with --excel-safe", () => {
    const rows = [{ a: "=HYPERLINK(1)", b: -1.5, c: "+x", d: "@SUM", e: "-rf", f: "\tcmd", g: "plain" }];
    const columns = ["a", "b", "c", "d", "e", "f", "g"];
    expect(toCsv(columns, rows)).toBe("a,b,c,d,e,f,g\n=HYPERLINK(1),-1.5,+x,@SUM,-rf,\tcmd,plain\n");
    expect(toCsv(columns, rows, new Set(), { excelSafe: true })).toBe(
      "a,b,c,d,e,f,g\n'=HYPERLINK(1),-1.5,'+x,'@SUM,'-rf,'\tcmd,plain\n",
    );
  });
});

describe("charts", () => {
  const series = [
    { label: "a", points: [1, 2, 3, 4].map((step) => ({ step, value: 1 / step })) },
    {
      label: "b",
      points: [
        { step: 1, value: Number.NaN },
        { step: 2, value: 0.8 },
      ],
    },
  ];

  it("overlays runs of different lengths, skips non-finite values and names each marker", () => {
    const chart = renderChart("loss", series, { width: 30, height: 5 });
    const lines = chart.split("\n");
    expect(lines[0]).toBe("loss");
    expect(lines.at(-1)).toBe("  * a   + b");
    expect(lines.at(-2)).toMatch(/step 1\s+4$/);
    expect(chart).not.toContain("NaN");
    const plot = lines.slice(1, 6).join("\n");
    expect(plot).toContain("*");
    expect(plot).toContain("+");
  });

  // Guards against one column per step: 20 steps gave a 20-column chart whatever --width said.
  it("fills exactly the width it is given", () => {
    const steps = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, value: Math.sin(i) }));
    for (const width of [40, 80, 120]) {
      const lines = renderChart("x", [{ label: "a", points: steps }], { width, height: 6 }).split("\n");
      for (const line of lines.slice(1, 7)) expect(visibleWidth(line)).toBe(width);
      for (const line of lines) expect(visibleWidth(line)).toBeLessThanOrEqual(width);
    }
  });

  it("wraps a long legend to the width", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      label: `run-${i}`,
      points: [
        { step: 1, value: i },
        { step: 2, value: i + 1 },
      ],
    }));
    const lines = renderChart("x", many, { width: 40, height: 4 }).split("\n");
    const legend = lines.slice(lines.findIndex((l) => l.includes("step 1")) + 1);
    expect(legend.length).toBeGreaterThan(1);
    for (const line of legend) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    expect(legend.join(" ")).toContain("~ run-9");
  });

  it("says so when there is nothing finite to plot", () => {
    expect(
      renderChart("x", [{ label: "a", points: [{ step: 1, value: Number.NaN }] }], { width: 10, height: 3 }),
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
