import { AlreadyExistsError, NotFoundError, readSeriesPoints, settlePoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createS3Backend, S3_BACKEND_NAME } from "../src/index.js";
import { BUCKET, SERVERS, useTestServer } from "./server.js";

for (const kind of SERVERS) {
  describe(`s3 backend basics on ${kind}`, () => {
    const s3 = useTestServer(kind);
    const backend = s3.backend;

    it("declares its name and capabilities", () => {
      const b = backend();
      expect(b.name).toBe(S3_BACKEND_NAME);
      expect(b.capabilities).toEqual({
        nonFiniteValues: true,
        requiresTensorboard: false,
        bufferedTimeSeries: true,
        multiProcess: true,
        keepsTimes: true,
        tagsAsLabels: false,
      });
    });

    it("creates, reads, updates, lists and deletes experiments", async () => {
      const b = backend();
      const created = await b.createExperiment({ name: "exp-a", description: "first" });
      expect(created).toMatchObject({ name: "exp-a", description: "first" });
      await expect(b.createExperiment({ name: "exp-a" })).rejects.toBeInstanceOf(AlreadyExistsError);
      await b.createExperiment({ name: "exp-b" });
      const updated = await b.updateExperiment("exp-a", { backingTensorboard: "tb-1" });
      expect(updated).toMatchObject({ description: "first", backingTensorboard: "tb-1" });
      const page1 = await b.listExperiments({ pageSize: 1 });
      expect(page1.items.map((e) => e.name)).toEqual(["exp-a"]);
      const page2 = await b.listExperiments({ pageSize: 1, pageToken: page1.nextPageToken });
      expect(page2.items.map((e) => e.name)).toEqual(["exp-b"]);
      expect(page2.nextPageToken).toBeUndefined();
      await b.deleteExperiment("exp-a", { deleteBackingTensorboardRuns: false });
      expect(await b.getExperiment("exp-a")).toBeUndefined();
      expect((await b.listExperiments()).items.map((e) => e.name)).toEqual(["exp-b"]);
      const again = await b.createExperiment({ name: "exp-a" });
      expect(again.description).toBe("");
      await b.close();
    });

    it("keeps tags, the note, the run type and given create and update times, per creation of the run", async () => {
      const b = backend();
      await b.createExperiment({ name: "e" });
      const created = await b.createRun("e", {
        name: "r",
        state: "COMPLETE",
        runType: "system.Run",
        createTime: 1_600_000_000_000,
        updateTime: 1_600_000_100_000,
      });
      expect(created).toMatchObject({
        runType: "system.Run",
        tags: {},
        description: "",
        createTime: 1_600_000_000_000,
        updateTime: 1_600_000_100_000,
      });
      expect(created.incarnation).toMatch(/^\d{13}-[0-9a-f]{8}-\d{8}$/);
      const ref = { experiment: "e", run: "r", incarnation: created.incarnation };
      await b.updateRun(ref, { tags: { team: "a", gone: "x" }, description: "first note" });
      const updated = await b.updateRun(ref, {
        tags: { gone: null, "odd key ü": "v" },
        updateTime: 1_600_000_200_000,
      });
      expect(updated).toMatchObject({
        tags: { team: "a", "odd key ü": "v" },
        description: "first note",
        updateTime: 1_600_000_200_000,
        createTime: 1_600_000_000_000,
      });
      const fresh = s3.backend(b.prefix);
      expect(await fresh.getRun(ref)).toMatchObject({
        tags: { team: "a", "odd key ü": "v" },
        description: "first note",
      });
      // A new creation of the name is a different run: the old incarnation reads as missing.
      await b.deleteRun(ref, { deleteBackingTensorboardRun: false });
      const again = await b.createRun("e", { name: "r", state: "RUNNING" });
      expect(again.incarnation).not.toBe(created.incarnation);
      expect(again).toMatchObject({ tags: {}, description: "", runType: "system.ExperimentRun" });
      expect(await fresh.getRun(ref)).toBeUndefined();
      await expect(fresh.updateRun(ref, { tags: { late: "x" } })).rejects.toBeInstanceOf(NotFoundError);
      expect((await fresh.getRun({ experiment: "e", run: "r" }))?.tags).toEqual({});
      const artifact = await b.createArtifact({ schemaTitle: "system.Model", createTime: 1_500_000_000_000 });
      expect(artifact).toMatchObject({ createTime: 1_500_000_000_000, updateTime: 1_500_000_000_000 });
      await b.close();
      await fresh.close();
    });

    it("merges params and metrics one level deep and keeps non-finite values", async () => {
      const b = backend();
      await b.createExperiment({ name: "e" });
      const run = await b.createRun("e", { name: "r", state: "RUNNING" });
      expect(run).toMatchObject({ name: "r", experiment: "e", state: "RUNNING", params: {}, metrics: {} });
      await b.updateRun({ experiment: "e", run: "r" }, { params: { lr: 0.1, opt: "adam" } });
      const after = await b.updateRun(
        { experiment: "e", run: "r" },
        { params: { lr: 0.2 }, metrics: { nan: Number.NaN, inf: -Infinity, ok: true } },
      );
      expect(after.params).toEqual({ lr: 0.2, opt: "adam" });
      const fresh = createS3Backend({ bucket: BUCKET, prefix: b.prefix, client: s3.server.client() });
      const read = await fresh.getRun({ experiment: "e", run: "r" });
      expect(read?.metrics.nan).toBeNaN();
      expect(read?.metrics.inf).toBe(-Infinity);
      expect(read?.metrics.ok).toBe(true);
      await expect(b.createRun("e", { name: "r", state: "RUNNING" })).rejects.toBeInstanceOf(
        AlreadyExistsError,
      );
      await expect(b.createRun("missing", { name: "r", state: "RUNNING" })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(
        b.updateRun({ experiment: "e", run: "nope" }, { params: { a: 1 } }),
      ).rejects.toBeInstanceOf(NotFoundError);
      await b.close();
      await fresh.close();
    });

    it("buffers time series, reads its own writes, and orders same-step points by write", async () => {
      const b = backend();
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      await b.appendTimeSeries(ref, [{ step: 1, wallTime: 1000, values: { loss: 1, acc: Number.NaN } }]);
      await b.appendTimeSeries(ref, [{ step: 1, wallTime: 1001, values: { loss: 0.5 } }]);
      await b.appendTimeSeries(ref, [{ step: 2, wallTime: 1002, values: { loss: 0.25 } }]);
      const points = settlePoints(await readSeriesPoints(b, ref));
      expect(points.filter((p) => p.metric === "loss").map((p) => p.value)).toEqual([0.5, 0.25]);
      expect(points.find((p) => p.metric === "acc")?.value).toBeNaN();
      expect(await b.latestTimeSeries(ref)).toMatchObject({ loss: { step: 2, value: 0.25 } });
      const listed = await b.listRuns("e", { withLatestTimeSeries: true });
      expect(listed.items[0]?.latestTimeSeries?.loss?.value).toBe(0.25);
      expect((await readSeriesPoints(b, ref, { metrics: ["acc"] })).map((p) => p.metric)).toEqual(["acc"]);
      await b.close();
    });

    it("lists runs in creation order across pages, and deleting a run leaves its siblings", async () => {
      const b = backend();
      await b.createExperiment({ name: "e" });
      for (const name of ["c", "a", "b"]) await b.createRun("e", { name, state: "RUNNING" });
      const first = await b.listRuns("e", { pageSize: 2 });
      expect(first.items.map((r) => r.name)).toEqual(["c", "a"]);
      await b.createRun("e", { name: "d", state: "NEW" });
      const second = await b.listRuns("e", { pageSize: 2, pageToken: first.nextPageToken });
      expect(second.items.map((r) => r.name)).toEqual(["b", "d"]);
      await b.appendTimeSeries({ experiment: "e", run: "a" }, [{ step: 1, wallTime: 1, values: { x: 1 } }]);
      await b.flush();
      await b.deleteRun({ experiment: "e", run: "a" }, { deleteBackingTensorboardRun: false });
      expect((await b.listRuns("e")).items.map((r) => r.name)).toEqual(["c", "b", "d"]);
      await b.createRun("e", { name: "a", state: "RUNNING" });
      expect(await readSeriesPoints(b, { experiment: "e", run: "a" })).toEqual([]);
      await b.close();
    });

    it("keeps artifacts, executions, attributions, children and tensorboard runs", async () => {
      const b = backend();
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      const model = await b.createArtifact({
        schemaTitle: "system.Model",
        displayName: "m",
        metadata: { f: Number.POSITIVE_INFINITY },
      });
      const data = await b.createArtifact({ id: "data-1", schemaTitle: "system.Dataset" });
      await expect(b.createArtifact({ id: "data-1", schemaTitle: "system.Dataset" })).rejects.toBeInstanceOf(
        AlreadyExistsError,
      );
      const exec = await b.createExecution({ schemaTitle: "system.ContainerExecution", metadata: { a: 1 } });
      const updated = await b.updateExecution(exec.id, { state: "COMPLETE", metadata: { b: 2 } });
      expect(updated).toMatchObject({ state: "COMPLETE", metadata: { a: 1, b: 2 } });
      const evented = await b.addExecutionEvents(exec.id, {
        inputs: [data.id],
        outputs: [model.id, model.id],
      });
      expect(evented.inputArtifacts).toEqual([data.id]);
      expect(evented.outputArtifacts).toEqual([model.id]);
      await b.attributeToRun(ref, { artifacts: [model.id], executions: [exec.id] });
      await b.attributeToRun(ref, { artifacts: [model.id] });
      await expect(b.attributeToRun(ref, { artifacts: ["nope"] })).rejects.toBeInstanceOf(NotFoundError);
      expect((await b.listArtifacts({ run: ref })).items.map((a) => a.id)).toEqual([model.id]);
      expect((await b.listArtifacts()).items.map((a) => a.id)).toEqual([model.id, data.id]);
      expect((await b.listArtifacts({ schemaTitle: "system.Dataset" })).items.map((a) => a.id)).toEqual([
        data.id,
      ]);
      expect((await b.getArtifact(model.id))?.metadata.f).toBe(Number.POSITIVE_INFINITY);
      expect((await b.listExecutions({ run: ref })).items.map((e) => e.id)).toEqual([exec.id]);
      await b.addRunChildren(ref, [
        { schemaTitle: "system.PipelineRun", resourceName: "p/1", displayName: "one" },
        { schemaTitle: "system.PipelineRun", resourceName: "p/2", displayName: "two" },
      ]);
      await b.addRunChildren(ref, [
        { schemaTitle: "system.PipelineRun", resourceName: "p/1", displayName: "again" },
      ]);
      expect((await b.listRunChildren(ref)).map((c) => c.displayName)).toEqual(["one", "two"]);
      expect(await b.listRunChildren(ref, { schemaTitle: "other" })).toEqual([]);
      const tb = await b.assignRunTensorboard(ref, "tb");
      expect(tb).toBe("tb/experiments/e/runs/r");
      expect((await b.getRun(ref))?.tensorboardRun).toBe(tb);
      await b.close();
    });
  });
}
