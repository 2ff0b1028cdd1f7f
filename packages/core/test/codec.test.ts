import { describe, expect, it } from "vitest";
import { decodeJsonValue, encodeJsonValue, numberToJson, parseJson, stringifyJson } from "../src/index.js";

describe("JSON codec", () => {
  it("round-trips NaN and ±Infinity, which plain JSON turns into null", () => {
    const value = { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, list: [Number.NEGATIVE_INFINITY, 1] };
    expect(JSON.parse(JSON.stringify(value)).nan).toBeNull();
    const back = parseJson<typeof value>(stringifyJson(value));
    expect(back.nan).toBeNaN();
    expect(back.inf).toBe(Number.POSITIVE_INFINITY);
    expect(back.list).toEqual([Number.NEGATIVE_INFINITY, 1]);
  });

  it("leaves the strings 'NaN' and objects with other keys alone", () => {
    const value = { s: "NaN", o: { $float: "NaN", other: 1 } };
    expect(parseJson(stringifyJson(value))).toEqual(value);
  });

  it("numberToJson writes what stringifyJson writes", () => {
    for (const n of [0, -1.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(numberToJson(n)).toBe(stringifyJson(n));
    }
  });
});

describe("negative zero", () => {
  it("round-trips -0, which plain JSON writes as 0", () => {
    expect(Object.is(parseJson<number[]>(stringifyJson([-0]))[0], -0)).toBe(true);
    expect(numberToJson(-0)).toBe('{"$float":"-0"}');
    expect(Object.is(parseJson(numberToJson(-0)), -0)).toBe(true);
    expect(Object.is(parseJson(stringifyJson(0)), 0)).toBe(true);
  });
});

describe("objects that look like the codec's own tags", () => {
  // Guards against: a user value { $float: "NaN" } (a metadata object, or a params dict with the key
  // "$float") read back as the number NaN.
  it("round-trip as the objects they are, at any depth and inside arrays", () => {
    const values = [
      { $float: "NaN" },
      { $float: "-0" },
      { $float: Number.NaN },
      { $$float: "Infinity" },
      { meta: { $float: "Infinity" }, list: [{ $float: "-Infinity" }, Number.NaN] },
      { $float: { $float: "NaN" } },
      { $float: "NaN", other: 1 },
    ];
    for (const value of values) {
      const back = parseJson(stringifyJson(value));
      expect(back).toEqual(value);
    }
    expect(stringifyJson({ $float: "NaN" })).toBe('{"$$float":"NaN"}');
  });

  it("files written before the escape still read: tags are numbers, other objects unchanged", () => {
    expect(parseJson('{"a":{"$float":"NaN"},"b":{"$float":"x"},"c":{"$float":"NaN","d":1}}')).toEqual({
      a: Number.NaN,
      b: { $float: "x" },
      c: { $float: "NaN", d: 1 },
    });
  });
});

describe("encodeJsonValue / decodeJsonValue (the codec on values, for stores that parse with plain JSON.parse)", () => {
  // Guards against: a store with its own copy of the tag rule (the file store's metadata) that reads a
  // user's { $float: "NaN" }, or { $float: "NaN", other: 1 }, back as the number NaN.
  const values: unknown[] = [
    { $float: "NaN" },
    { $float: "-0" },
    { $$float: "Infinity" },
    { $float: "NaN", other: 1 },
    { meta: { $float: "Infinity" }, list: [{ $float: "-Infinity" }, Number.NaN, -0] },
    { $float: { $float: "NaN" } },
    [Number.POSITIVE_INFINITY, { a: [{ $$$float: 1 }] }],
    Number.NaN,
    "NaN",
    null,
    JSON.parse('{"__proto__":{"$float":"NaN"}}'),
  ];
  it("writes exactly what stringifyJson writes and reads back what parseJson reads", () => {
    for (const value of values) {
      expect(JSON.stringify(encodeJsonValue(value))).toBe(stringifyJson(value));
      expect(decodeJsonValue(JSON.parse(stringifyJson(value)))).toEqual(parseJson(stringifyJson(value)));
      expect(decodeJsonValue(JSON.parse(JSON.stringify(encodeJsonValue(value))))).toEqual(value);
    }
  });
  it("keeps -0 and an own __proto__ key", () => {
    const zero = decodeJsonValue(JSON.parse(JSON.stringify(encodeJsonValue([-0])))) as number[];
    expect(Object.is(zero[0], -0)).toBe(true);
    const back = decodeJsonValue(JSON.parse('{"__proto__":{"a":1}}')) as object;
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});
