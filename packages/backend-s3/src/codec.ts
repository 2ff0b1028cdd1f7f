/**
 * JSON for stored objects: core's format (`{"$float":"NaN"}` for non-finite numbers) plus `-0`,
 * which plain JSON writes as `0`. Every number a user logs comes back exactly.
 */
const TAG = "$float";

function isSpecial(value: number): boolean {
  return !Number.isFinite(value) || Object.is(value, -0);
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && isSpecial(value))
    return { [TAG]: Object.is(value, -0) ? "-0" : String(value) };
  return value;
}

const SPECIAL: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
  "-0": -0,
};

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === TAG) {
      const tagged = (value as Record<string, unknown>)[TAG];
      if (typeof tagged === "string" && tagged in SPECIAL) return SPECIAL[tagged];
    }
  }
  return value;
}

export function encode(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function decode<T>(text: string): T {
  return JSON.parse(text, reviver) as T;
}
