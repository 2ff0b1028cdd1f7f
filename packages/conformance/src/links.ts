import { Artifact, Execution, type Metadata, PipelineJob } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function linkTests(ctx: SuiteContext): void {
  ctx.it("an execution associated with a run is listed by getExecutions", async () => {
    const run = await ctx.run();
    const execution = await Execution.create({
      backend: ctx.backend,
      schemaTitle: "system.ContainerExecution",
      displayName: "train",
      metadata: { image: "trainer:1", epochs: 3 },
    });
    await run.associateExecution(execution);
    await run.associateExecution(execution);
    const listed = await run.getExecutions();
    expect(listed.map((e) => e.id)).toEqual([execution.id]);
    expect(listed[0]).toMatchObject({ displayName: "train", schemaTitle: "system.ContainerExecution" });
    expect(listed[0]!.metadata).toEqual({ image: "trainer:1", epochs: 3 });
  });

  ctx.it("executions keep state, merged metadata, and input/output artifacts", async () => {
    const execution = await Execution.create({
      backend: ctx.backend,
      schemaTitle: "system.Run",
      metadata: { a: 1 },
    });
    const data = await Artifact.create({
      backend: ctx.backend,
      schemaTitle: "system.Dataset",
      uri: "s3://b/d",
    });
    const model = await Artifact.create({
      backend: ctx.backend,
      schemaTitle: "system.Model",
      displayName: "m",
    });
    await execution.assignInputArtifacts([data]);
    await execution.assignOutputArtifacts([model, model]);
    await execution.update({ state: "COMPLETE", metadata: { b: 2 } });
    const again = await Execution.get(execution.id, { backend: ctx.backend });
    expect(again.state).toBe("COMPLETE");
    expect(again.metadata).toEqual({ a: 1, b: 2 });
    expect((await again.getInputArtifacts()).map((a) => a.id)).toEqual([data.id]);
    expect((await again.getOutputArtifacts()).map((a) => a.id)).toEqual([model.id]);
  });

  ctx.it("artifacts associated with a run are listed by getArtifacts, once each", async () => {
    const run = await ctx.run();
    const artifact = await Artifact.create({
      backend: ctx.backend,
      schemaTitle: "system.Model",
      displayName: "model",
      uri: "gs://bucket/model",
      metadata: { framework: "tf", nested: { layers: [1, 2] } },
    });
    await run.associateArtifacts([artifact, artifact.id]);
    const listed = await run.getArtifacts();
    expect(listed.map((a) => a.id)).toEqual([artifact.id]);
    expect(listed[0]).toMatchObject({ uri: "gs://bucket/model", displayName: "model", state: "LIVE" });
    expect(listed[0]!.metadata).toEqual({ framework: "tf", nested: { layers: [1, 2] } });
  });

  ctx.it(
    "an artifact with an explicit id is found by it; a taken id rejects with ALREADY_EXISTS",
    async () => {
      const id = ctx.unique("artifact");
      await Artifact.create({ backend: ctx.backend, id, schemaTitle: "system.Artifact" });
      expect((await Artifact.get(id, { backend: ctx.backend })).id).toBe(id);
      await expectCode(
        Artifact.create({ backend: ctx.backend, id, schemaTitle: "system.Artifact" }),
        "ALREADY_EXISTS",
      );
      await expectCode(Artifact.get(ctx.unique("nothing"), { backend: ctx.backend }), "NOT_FOUND");
    },
  );

  ctx.it("Artifact.list filters by schema title", async () => {
    const title = `test.Kind${ctx.unique("k").replace(/-/g, "")}`;
    const a = await Artifact.create({ backend: ctx.backend, schemaTitle: title });
    await Artifact.create({ backend: ctx.backend, schemaTitle: "system.Other" });
    expect((await Artifact.list({ backend: ctx.backend, schemaTitle: title })).map((x) => x.id)).toEqual([
      a.id,
    ]);
  });

  ctx.it("associating a missing execution or artifact rejects with NOT_FOUND", async () => {
    const run = await ctx.run();
    await expectCode(run.associateExecution(ctx.unique("missing")), "NOT_FOUND");
    await expectCode(run.associateArtifacts([ctx.unique("missing")]), "NOT_FOUND");
  });

  ctx.it("a pipeline job logged to a run is read back, once", async () => {
    const run = await ctx.run();
    const job = new PipelineJob({
      resourceName: `projects/p/locations/l/pipelineJobs/${ctx.unique("job")}`,
      displayName: "nightly",
    });
    await run.log({ pipelineJob: job });
    await run.log({ pipelineJob: job });
    const jobs = await run.getLoggedPipelineJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ resourceName: job.resourceName, displayName: "nightly" });
    expect(jobs[0]).toBeInstanceOf(PipelineJob);
  });

  ctx.it("metadata that looks like a store's own encoding is read back as the object it is", async () => {
    // Guards against: a store that writes NaN as {"$float":"NaN"} and reads a user's
    // { $float: "NaN" } (or { $float: "NaN", other: 1 }) back as the number NaN.
    const lookalike: Metadata = {
      a: { $float: "NaN" },
      b: { $$float: "Infinity" },
      c: { $float: "NaN", other: 1 },
      d: [{ $float: "-0" }, { $date: "2024-01-01" }, { $bigint: "1" }],
      e: { $float: { $float: "-Infinity" } },
    };
    const { ref } = await ctx.createRun();
    const artifact = await Artifact.create({
      backend: ctx.backend,
      schemaTitle: "system.Dataset",
      metadata: lookalike,
    });
    const execution = await Execution.create({
      backend: ctx.backend,
      schemaTitle: "system.Run",
      metadata: lookalike,
    });
    await execution.update({ metadata: { f: { $float: "Infinity" } } });
    const child = {
      schemaTitle: "system.PipelineRun",
      resourceName: `pipelineJobs/${ctx.unique("j")}`,
      displayName: "j",
      metadata: lookalike,
    };
    await ctx.backend.addRunChildren(ref, [child]);
    const readers = [ctx.backend];
    if (ctx.hooks.openSecond) readers.push(await ctx.second()); // what another process reads from the store
    for (const reader of readers) {
      expect((await reader.getArtifact(artifact.id))?.metadata).toEqual(lookalike);
      expect((await reader.getExecution(execution.id))?.metadata).toEqual({
        ...lookalike,
        f: { $float: "Infinity" },
      });
      const children = await reader.listRunChildren(ref);
      expect(children.find((c) => c.resourceName === child.resourceName)?.metadata).toEqual(lookalike);
    }
  });

  ctx.it("links of one run are invisible from another", async () => {
    const exp = await ctx.experiment();
    const a = await ctx.run(exp);
    const b = await ctx.run(exp);
    const execution = await Execution.create({ backend: ctx.backend, schemaTitle: "system.Run" });
    await a.associateExecution(execution);
    await a.log({ pipelineJob: new PipelineJob({ resourceName: `pipelineJobs/${ctx.unique("j")}` }) });
    expect(await b.getExecutions()).toEqual([]);
    expect(await b.getLoggedPipelineJobs()).toEqual([]);
  });
}
