import { NotFoundError, ValidationError } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { expectCode, inBatches } from "../src/context.js";

describe("suite helpers", () => {
  it("inBatches keeps at most `limit` tasks in flight and returns results in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await inBatches(40, 7, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return i * 2;
    });
    expect(peak).toBe(7);
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
  });

  it("expectCode passes on the right code and fails on another code or a resolution", async () => {
    await expectCode(Promise.reject(new NotFoundError("gone")), "NOT_FOUND", /gone/);
    await expect(expectCode(Promise.reject(new ValidationError("bad")), "NOT_FOUND")).rejects.toThrow();
    await expect(expectCode(Promise.resolve(1), "NOT_FOUND")).rejects.toThrow();
  });
});
