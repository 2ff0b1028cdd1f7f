import { describe, expect, it } from "vitest";
import {
  assertSafeSegment,
  InvalidTypeError,
  isExprunError,
  redactSecrets,
  ValidationError,
  validateName,
} from "../src/index.js";
import { validateValues } from "../src/validation.js";

const lenient = {
  nonFiniteValues: true,
  requiresTensorboard: false,
  bufferedTimeSeries: false,
  multiProcess: false,
};

describe("names", () => {
  it("accepts Vertex ids and refuses everything else with a fix in the message", () => {
    validateName("run", "run-1");
    validateName("experiment", "0abc");
    validateName("run", "r");
    expect(() => validateName("experiment", "abc")).toThrowError(/use 4-128 lowercase letters/);
    for (const bad of ["", "A", "-a", "a_b", "a.b", "a/b", "x".repeat(129)]) {
      expect(() => validateName("run", bad)).toThrowError(ValidationError);
    }
    expect(() => validateName("run", "Bad")).toThrowError(/lowercase letters, digits and hyphens/);
  });

  it("assertSafeSegment refuses separators and dot segments", () => {
    assertSafeSegment("abc-1.json", "file");
    for (const bad of ["..", "../x", "a/b", "a\\b", ".hidden", "", "a\u0000b"]) {
      expect(() => assertSafeSegment(bad, "file")).toThrowError(/outside the store/);
    }
  });
});

describe("params and metrics", () => {
  it("a non-string key is a TypeError with Python's wording", () => {
    const values = { [Symbol("k")]: 1 } as unknown as Record<string, number>;
    expect(() => validateValues("params", values, lenient, "memory")).toThrowError(InvalidTypeError);
  });

  it("a bad value is a TypeError that is also instanceof TypeError", () => {
    try {
      validateValues("params", { a: 1n } as unknown as Record<string, number>, lenient, "memory");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect(isExprunError(error, "INVALID_TYPE")).toBe(true);
      expect((error as Error).message).toBe(
        "[exprun] Value for key a is of type bigint but must be one of float, int, str (a number, string or boolean).",
      );
    }
  });

  it("NaN is refused only where the backend cannot keep it, naming the backend", () => {
    validateValues("metrics", { x: Number.NaN }, lenient, "memory");
    expect(() =>
      validateValues("metrics", { x: Number.NaN }, { ...lenient, nonFiniteValues: false }, "vertex"),
    ).toThrowError(/^\[exprun\] \[vertex\] Value for key x is NaN/);
  });
});

describe("errors", () => {
  it("BackendError never carries credentials in its message", async () => {
    const { BackendError } = await import("../src/index.js");
    const error = new BackendError(
      "request failed: Authorization: Bearer ya29.secret-token secret_access_key=AKIAXYZ private",
    );
    expect(error.message).not.toMatch(/ya29\.secret|AKIAXYZ/);
    expect(redactSecrets('{"private_key":"-----BEGIN PRIVATE KEY-----abc"}')).not.toMatch(/abc/);
  });
});
