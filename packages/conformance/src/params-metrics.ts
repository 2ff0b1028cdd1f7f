import { expect } from "vitest";
import { requireCapability, type SuiteContext } from "./context.js";

export function paramsMetricsTests(ctx: SuiteContext): void {
  for (const kind of ["params", "metrics"] as const) {
    const log = kind === "params" ? "logParams" : "logMetrics";
    const get = kind === "params" ? "getParams" : "getMetrics";

    ctx.it(`${log} overwrites an existing key and keeps the others`, async () => {
      const run = await ctx.run();
      await run[log]({ a: 1, b: "two" });
      await run[log]({ b: "deux", c: 3.5 });
      expect(await run[get]()).toEqual({ a: 1, b: "deux", c: 3.5 });
    });

    ctx.it(`${log} round-trips ints, floats, strings, booleans and unicode keys exactly`, async () => {
      const run = await ctx.run();
      const values = {
        int: 42,
        negative: -7,
        zero: 0,
        float: 0.1 + 0.2,
        tiny: 5e-324,
        big: Number.MAX_SAFE_INTEGER,
        exp: 1.5e300,
        text: "héllo wörld ✓",
        empty: "",
        numeric_string: "0.1",
        yes: true,
        no: false,
        "λ-rate": 0.01,
        "clé étrange": "v",
        "键 with space": 1,
        "a.b/c": 2,
      };
      await run[log](values);
      const back = await run[get]();
      expect(back).toEqual(values);
      expect(typeof back.yes).toBe("boolean");
      expect(typeof back.numeric_string).toBe("string");
      expect(Object.is(back.zero, 0)).toBe(true);
    });

    ctx.it(`${log} with an empty object changes nothing`, async () => {
      const run = await ctx.run();
      await run[log]({ k: 1 });
      await run[log]({});
      expect(await run[get]()).toEqual({ k: 1 });
    });

    ctx.it(`${log} keeps NaN and ±Infinity (capability nonFiniteValues)`, async (test) => {
      requireCapability(test, ctx, "nonFiniteValues", true);
      const run = await ctx.run();
      await run[log]({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY });
      const back = await run[get]();
      expect(back.nan).toBeNaN();
      expect(back.inf).toBe(Number.POSITIVE_INFINITY);
      expect(back.ninf).toBe(Number.NEGATIVE_INFINITY);
    });
  }

  ctx.it("params and metrics are separate namespaces", async () => {
    const run = await ctx.run();
    await run.logParams({ x: 1 });
    await run.logMetrics({ x: 2 });
    expect(await run.getParams()).toEqual({ x: 1 });
    expect(await run.getMetrics()).toEqual({ x: 2 });
  });

  ctx.it("two runs do not share params or metrics", async () => {
    const exp = await ctx.experiment();
    const a = await ctx.run(exp);
    const b = await ctx.run(exp);
    await a.logParams({ only: "a" });
    await b.logMetrics({ only: "b" });
    expect(await a.getMetrics()).toEqual({});
    expect(await b.getParams()).toEqual({});
  });
}
