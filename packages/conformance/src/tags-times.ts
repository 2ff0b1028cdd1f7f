import { ExperimentRun, MAX_LABELS } from "@exprun/core";
import { expect } from "vitest";
import { expectCode, requireCapability, type SuiteContext } from "./context.js";

const T_CREATE = Date.UTC(2019, 4, 1, 12, 0, 0, 123);
const T_UPDATE = Date.UTC(2019, 4, 2, 8, 30, 0, 456);
const T_LATER = Date.UTC(2020, 0, 1, 0, 0, 0, 789);

export function tagsTimesTests(ctx: SuiteContext): void {
  ctx.it(
    "a new run has no tags, an empty note, run type system.ExperimentRun and createTime <= updateTime",
    async () => {
      const backend = ctx.backend;
      const { record, ref } = await ctx.createRun(backend);
      for (const read of [
        record,
        await backend.getRun(ref),
        (await backend.listRuns(ref.experiment)).items[0],
      ]) {
        expect(read).toMatchObject({ tags: {}, description: "", runType: "system.ExperimentRun" });
        expect(read!.createTime).toBeLessThanOrEqual(read!.updateTime);
      }
    },
  );

  ctx.it("tag patches merge: named keys are set, other tags kept, a null deletes its key", async () => {
    const backend = ctx.backend;
    const { ref } = await ctx.createRun(backend);
    expect((await backend.updateRun(ref, { tags: { team: "vision", owner: "ada" } })).tags).toEqual({
      team: "vision",
      owner: "ada",
    });
    expect((await backend.updateRun(ref, { tags: { owner: "grace", stage: "dev" } })).tags).toEqual({
      team: "vision",
      owner: "grace",
      stage: "dev",
    });
    expect((await backend.updateRun(ref, { tags: { team: null, absent: null } })).tags).toEqual({
      owner: "grace",
      stage: "dev",
    });
    // Patches of other fields keep the tags.
    await backend.updateRun(ref, { params: { lr: 1 }, metrics: { acc: 1 }, state: "COMPLETE" });
    expect((await backend.getRun(ref))?.tags).toEqual({ owner: "grace", stage: "dev" });
    expect((await backend.listRuns(ref.experiment)).items[0]?.tags).toEqual({ owner: "grace", stage: "dev" });
  });

  ctx.it(
    "setTags, getTags and deleteTags work through a run, and another run object reads them",
    async () => {
      const run = await ctx.run();
      await run.setTags({ team: "vision", owner: "ada" });
      await run.setTags({ owner: "grace" });
      expect(await run.getTags()).toEqual({ team: "vision", owner: "grace" });
      await run.deleteTags(["team", "never-set"]);
      const again = await ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend });
      expect(await again.getTags()).toEqual({ owner: "grace" });
    },
  );

  ctx.it("concurrent tag patches with different keys from several run objects all survive", async () => {
    const run = await ctx.run();
    const handles = await Promise.all(
      Array.from({ length: 4 }, () =>
        ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend }),
      ),
    );
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => handles[i % handles.length]!.setTags({ [`k${i}`]: `v${i}` })),
    );
    expect(await run.getTags()).toEqual(
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`])),
    );
  });

  ctx.it(
    "the note is replaced when given, kept by patches without it, and cleared by an empty one",
    async () => {
      const run = await ctx.run();
      await run.setDescription("first try");
      await run.setDescription("lr was too high");
      await run.logParams({ lr: 0.1 });
      await run.setTags({ t: "x" });
      const again = await ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend });
      expect(again.description).toBe("lr was too high");
      expect((await ctx.backend.getRun(run.ref))?.description).toBe("lr was too high");
      await again.setDescription("");
      expect((await ctx.backend.getRun(run.ref))?.description).toBe("");
    },
  );

  ctx.it("a run created with run type system.Run reads back as system.Run", async () => {
    const backend = ctx.backend;
    const exp = ctx.unique("exp");
    await backend.createExperiment({ name: exp });
    const name = ctx.unique("legacy");
    const created = await backend.createRun(exp, { name, state: "COMPLETE", runType: "system.Run" });
    expect(created.runType).toBe("system.Run");
    expect((await backend.getRun({ experiment: exp, run: name }))?.runType).toBe("system.Run");
    expect((await backend.listRuns(exp)).items.map((r) => [r.name, r.runType])).toEqual([
      [name, "system.Run"],
    ]);
    expect((await ExperimentRun.get(name, { experiment: exp, backend })).runType).toBe("system.Run");
  });

  ctx.it("createTime and updateTime given at creation are kept where keepsTimes", async (test) => {
    requireCapability(test, ctx, "keepsTimes", true);
    const backend = ctx.backend;
    const exp = ctx.unique("exp");
    await backend.createExperiment({ name: exp });
    const name = ctx.unique("copied");
    const created = await backend.createRun(exp, {
      name,
      state: "COMPLETE",
      runType: "system.Run",
      createTime: T_CREATE,
      updateTime: T_UPDATE,
    });
    const times = { createTime: T_CREATE, updateTime: T_UPDATE, runType: "system.Run" };
    expect(created).toMatchObject(times);
    expect(await backend.getRun({ experiment: exp, run: name })).toMatchObject(times);
    expect((await backend.listRuns(exp)).items[0]).toMatchObject(times);
    const run = await ExperimentRun.get(name, { experiment: exp, backend });
    expect(run.createTime).toEqual(new Date(T_CREATE));
    expect(run.updateTime).toEqual(new Date(T_UPDATE));
  });

  ctx.it(
    "a patch's updateTime is kept where keepsTimes, and a patch without one moves it to now",
    async (test) => {
      requireCapability(test, ctx, "keepsTimes", true);
      const backend = ctx.backend;
      const { ref, record } = await ctx.createRun(backend);
      const patched = await backend.updateRun(ref, { params: { imported: true }, updateTime: T_LATER });
      expect(patched).toMatchObject({
        updateTime: T_LATER,
        createTime: record.createTime,
        params: { imported: true },
      });
      expect((await backend.getRun(ref))?.updateTime).toBe(T_LATER);
      const touched = await backend.updateRun(ref, { tags: { k: "v" } });
      expect(touched.updateTime).toBeGreaterThan(T_LATER);
      expect((await backend.getRun(ref))?.updateTime).toBe(touched.updateTime);
    },
  );

  ctx.it("artifacts and executions keep given createTime and updateTime where keepsTimes", async (test) => {
    requireCapability(test, ctx, "keepsTimes", true);
    const backend = ctx.backend;
    const artifact = await backend.createArtifact({
      schemaTitle: "system.Dataset",
      createTime: T_CREATE,
      updateTime: T_UPDATE,
    });
    const execution = await backend.createExecution({
      schemaTitle: "system.ContainerExecution",
      createTime: T_CREATE,
      updateTime: T_UPDATE,
    });
    const times = { createTime: T_CREATE, updateTime: T_UPDATE };
    expect(artifact).toMatchObject(times);
    expect(execution).toMatchObject(times);
    expect(await backend.getArtifact(artifact.id)).toMatchObject(times);
    expect(await backend.getExecution(execution.id)).toMatchObject(times);
  });

  ctx.it("where times are not kept, the store's own times stand and given ones are ignored", async (test) => {
    requireCapability(test, ctx, "keepsTimes", false);
    const backend = ctx.backend;
    const exp = ctx.unique("exp");
    await backend.createExperiment({ name: exp });
    const name = ctx.unique("copied");
    const created = await backend.createRun(exp, {
      name,
      state: "RUNNING",
      createTime: T_CREATE,
      updateTime: T_UPDATE,
    });
    expect(created.createTime).toBeGreaterThan(T_LATER);
    expect(created.updateTime).toBeGreaterThan(T_LATER);
    const patched = await backend.updateRun(
      { experiment: exp, run: name },
      { params: { a: 1 }, updateTime: T_LATER },
    );
    expect(patched.updateTime).toBeGreaterThan(T_LATER);
    const artifact = await backend.createArtifact({ schemaTitle: "system.Dataset", createTime: T_CREATE });
    expect(artifact.createTime).toBeGreaterThan(T_LATER);
  });

  ctx.it(
    "tags breaking Vertex label rules are refused naming the rule, writing nothing, where tagsAsLabels",
    async (test) => {
      requireCapability(test, ctx, "tagsAsLabels", true);
      const run = await ctx.run();
      await run.setTags({ ok: "fine" });
      const bad: Record<string, string>[] = [
        { Upper: "x" },
        { "has space": "x" },
        { ["k".repeat(64)]: "x" },
        { key: "Upper" },
        { key: "v".repeat(64) },
        { key: "a.b" },
        { ok2: "fine", "bad/key": "x" },
      ];
      for (const tags of bad) await expectCode(run.setTags(tags), "VALIDATION", /label/);
      expect(await run.getTags()).toEqual({ ok: "fine" });
      // The longest labels, digits, "_" and "-" are kept; the 65th label is refused.
      const most = Object.fromEntries(
        Array.from({ length: MAX_LABELS - 1 }, (_, i) => [
          `k_${i}-${"x".repeat(50)}`.slice(0, 63),
          `v-${i}_${"y".repeat(60)}`.slice(0, 63),
        ]),
      );
      await run.setTags(most);
      expect(Object.keys(await run.getTags())).toHaveLength(MAX_LABELS);
      await expectCode(run.setTags({ one_more: "x" }), "VALIDATION", /64/);
      expect(await run.getTags()).toEqual({ ok: "fine", ...most });
    },
  );

  ctx.it("any string tag is kept exactly where tagsAsLabels is false", async (test) => {
    requireCapability(test, ctx, "tagsAsLabels", false);
    const run = await ctx.run();
    const tags: Record<string, string> = {
      "Team Name": "Vision & Speech",
      "mlflow.source.git.commit": "0123abcd",
      ünïcødé: "✓ 日本語",
      "a/b=c": "x=1; y=2",
      empty: "",
      ["K".repeat(256)]: "v".repeat(10_000),
    };
    for (let i = 0; i < 100; i++) tags[`many-${i}`] = `${i}`;
    await run.setTags(tags);
    const again = await ExperimentRun.get(run.name, { experiment: run.experiment, backend: ctx.backend });
    expect(await again.getTags()).toEqual(tags);
    expect((await ctx.backend.listRuns(run.experiment)).items[0]?.tags).toEqual(tags);
  });

  ctx.it(
    "tags are tag.<key> columns of the experiment DataFrame after the metric columns, absent when no run has tags",
    async () => {
      const exp = await ctx.experiment();
      const plain = await ctx.run(exp, "plain");
      await plain.logParams({ lr: 1 });
      await plain.logMetrics({ acc: 0.5 });
      const before = await exp.getDataFrame({ includeTimeSeries: false });
      expect(Object.keys(before[0]!).some((c) => c.startsWith("tag."))).toBe(false);
      const tagged = await ctx.run(exp, "tagged");
      await tagged.setTags({ team: "vision" });
      const rows = await exp.getDataFrame({ includeTimeSeries: false });
      const columns = Object.keys(rows[0]!);
      expect(columns.slice(-1)).toEqual(["tag.team"]);
      expect(columns.indexOf("tag.team")).toBeGreaterThan(columns.indexOf("metric.acc"));
      expect(rows.find((r) => r.run_name === "tagged")?.["tag.team"]).toBe("vision");
      expect(rows.find((r) => r.run_name === "plain")?.["tag.team"]).toBeNull();
    },
  );
}
