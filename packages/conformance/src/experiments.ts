import { Experiment } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function experimentTests(ctx: SuiteContext): void {
  ctx.it("create then get returns the experiment with its description", async () => {
    const created = await ctx.experiment("a study of learning rates");
    const found = await Experiment.get(created.name, { backend: ctx.backend });
    expect(found.name).toBe(created.name);
    expect(found.description).toBe("a study of learning rates");
    expect(found.createTime.getTime()).toBeGreaterThan(0);
    expect(found.resourceName).toMatch(new RegExp(`/metadataStores/default/contexts/${created.name}$`));
  });

  ctx.it("create without a description stores an empty description", async () => {
    const created = await ctx.experiment();
    expect((await Experiment.get(created.name, { backend: ctx.backend })).description).toBe("");
  });

  ctx.it("creating an existing experiment rejects with ALREADY_EXISTS", async () => {
    const created = await ctx.experiment();
    await expectCode(Experiment.create(created.name, { backend: ctx.backend }), "ALREADY_EXISTS");
  });

  ctx.it("of racing creators of one experiment exactly one wins", async () => {
    const name = ctx.unique("race");
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => Experiment.create(name, { backend: ctx.backend })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as { code?: string }).code).toBe("ALREADY_EXISTS");
    }
  });

  ctx.it("getting a missing experiment rejects with NOT_FOUND", async () => {
    await expectCode(
      Experiment.get(ctx.unique("missing"), { backend: ctx.backend }),
      "NOT_FOUND",
      /not found/i,
    );
  });

  ctx.it("get accepts a full context resource name", async () => {
    const created = await ctx.experiment();
    const found = await Experiment.get(created.resourceName, { backend: ctx.backend });
    expect(found.name).toBe(created.name);
  });

  ctx.it("getOrCreate creates once and then returns the same experiment", async () => {
    const name = ctx.unique("goc");
    const first = await Experiment.getOrCreate(name, { backend: ctx.backend, description: "d1" });
    const second = await Experiment.getOrCreate(name, { backend: ctx.backend });
    expect(second.name).toBe(first.name);
    expect(second.description).toBe("d1");
  });

  ctx.it("getOrCreate with a new description updates it", async () => {
    const name = ctx.unique("goc");
    await Experiment.getOrCreate(name, { backend: ctx.backend, description: "old" });
    await Experiment.getOrCreate(name, { backend: ctx.backend, description: "new" });
    expect((await Experiment.get(name, { backend: ctx.backend })).description).toBe("new");
  });

  ctx.it("list returns every experiment exactly once", async () => {
    const names = [];
    for (let i = 0; i < 25; i++) names.push((await ctx.experiment()).name);
    const listed = (await Experiment.list({ backend: ctx.backend })).map((e) => e.name);
    for (const name of names) expect(listed.filter((n) => n === name)).toHaveLength(1);
  });

  ctx.it("a backing TensorBoard is kept and cannot be replaced by another", async () => {
    const exp = await ctx.experiment();
    await exp.assignBackingTensorboard("projects/p/locations/l/tensorboards/111");
    expect((await Experiment.get(exp.name, { backend: ctx.backend })).backingTensorboard).toBe(
      "projects/p/locations/l/tensorboards/111",
    );
    await exp.assignBackingTensorboard("projects/p/locations/l/tensorboards/111");
    await expectCode(exp.assignBackingTensorboard("projects/p/locations/l/tensorboards/222"), "VALIDATION");
  });
}
