import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { NotFoundError, readSeriesPoints, settlePoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { BUCKET, type Exchange, SERVERS, uniquePrefix, useTestServer } from "./server.js";

const HOUR = 3_600_000;

function listingOf(exchange: Exchange): string | null {
  if (exchange.method !== "GET") return null;
  const url = new URL(exchange.url, "http://proxy");
  return url.searchParams.get("list-type") === "2" ? url.searchParams.get("prefix") : null;
}

for (const kind of SERVERS) {
  describe(`deleted runs and experiments on ${kind}`, () => {
    const s3 = useTestServer(kind);
    const backend = s3.backend;

    it("every write to a run another backend deleted rejects with NotFoundError", async () => {
      const prefix = uniquePrefix("gone");
      const a = backend(prefix);
      const b = backend(prefix);
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      await a.createArtifact({ id: "model", schemaTitle: "system.Model" });
      const ref = { experiment: "e", run: "r" };
      expect(await b.getRun(ref)).toBeDefined();
      await a.deleteRun(ref, { deleteBackingTensorboardRun: false });

      await expect(b.updateRun(ref, { params: { late: 1 } })).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.assignRunTensorboard(ref, "tb")).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.attributeToRun(ref, { artifacts: ["model"] })).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        b.addRunChildren(ref, [{ schemaTitle: "system.PipelineRun", resourceName: "p/1", displayName: "p" }]),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.deleteRun(ref, { deleteBackingTensorboardRun: false })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      // A buffered append may resolve; the flush that would write it may not.
      await b.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
      const flushed = await b.flush().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(flushed).toBeInstanceOf(NotFoundError);
      expect(String(flushed)).toContain('Run "r"');
      // Its points went with the run: the next flush has nothing left to write.
      await b.flush();
      await b.close();
      await a.close();
    });

    it("late writes from a client whose clock runs an hour ahead never appear in the run created again", async () => {
      const prefix = uniquePrefix("ahead");
      const a = backend(prefix);
      const ahead = backend(prefix, { now: () => Date.now() + HOUR });
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      await ahead.getRun(ref);
      await ahead.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { old: 1 } }]);
      await a.deleteRun(ref, { deleteBackingTensorboardRun: false });
      const c = backend(prefix);
      await c.createRun("e", { name: "r", state: "NEW" });

      await expect(ahead.updateRun(ref, { params: { stale: true }, state: "FAILED" })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      await expect(ahead.close()).rejects.toBeInstanceOf(NotFoundError);
      await ahead.close();

      const reader = backend(prefix);
      const run = await reader.getRun(ref);
      expect(run).toMatchObject({ state: "NEW", params: {}, metrics: {} });
      expect(await readSeriesPoints(reader, ref)).toEqual([]);
      expect((await reader.listRuns("e")).items.map((r) => r.name)).toEqual(["r"]);
      for (const x of [a, c, reader]) await x.close();
    });

    it("a backend that reads the run created again writes to the new run", async () => {
      const prefix = uniquePrefix("relearn");
      const a = backend(prefix);
      const b = backend(prefix);
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      await b.getRun(ref);
      await a.deleteRun(ref, { deleteBackingTensorboardRun: false });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      await expect(b.updateRun(ref, { params: { x: 1 } })).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.updateRun(ref, { params: { x: 1 } })).rejects.toBeInstanceOf(NotFoundError);
      expect((await b.getRun(ref))?.params).toEqual({});
      expect((await b.updateRun(ref, { params: { x: 2 } })).params).toEqual({ x: 2 });
      expect((await a.getRun(ref))?.params).toEqual({ x: 2 });
      await a.close();
      await b.close();
    });

    it("two concurrent deleteExperiment calls keep the deletion: a late copy of the creation cannot revive it", async () => {
      const prefix = uniquePrefix("twice");
      const a = backend(prefix);
      const b = backend(prefix);
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      await b.getExperiment("e");
      // What a retried PUT of the creation, delivered late, would write again.
      const early = (await s3.server.keys(`${prefix}/experiments/e/meta/`)).filter((k) => k.includes("/d/"));
      const admin = s3.server.client();
      const copies = await Promise.all(
        early.map(async (Key) => {
          const object = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
          return { Key, Body: await object.Body?.transformToString() };
        }),
      );
      const results = await Promise.allSettled([
        a.deleteExperiment("e", { deleteBackingTensorboardRuns: false }),
        b.deleteExperiment("e", { deleteBackingTensorboardRuns: false }),
      ]);
      expect(results.some((r) => r.status === "fulfilled")).toBe(true);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(NotFoundError);
      for (const copy of copies) await admin.send(new PutObjectCommand({ Bucket: BUCKET, ...copy }));

      const reader = backend(prefix);
      expect(await reader.getExperiment("e")).toBeUndefined();
      expect((await reader.listExperiments()).items).toEqual([]);
      await expect(reader.getRun({ experiment: "e", run: "r" })).resolves.toBeUndefined();
      for (const x of [a, b, reader]) await x.close();
    });

    it("a deletion whose clean-up runs late removes nothing of the experiment created again meanwhile", async () => {
      const prefix = uniquePrefix("race-del");
      const a = backend(prefix);
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "old", state: "RUNNING" });
      await a.appendTimeSeries({ experiment: "e", run: "old" }, [{ step: 1, wallTime: 1, values: { x: 1 } }]);
      await a.flush();
      // Hold a's clean-up listing while b creates the experiment again and writes to it.
      let holding = false;
      const gate = { open: false };
      s3.server.delay = (exchange) => {
        if (!gate.open && listingOf(exchange) === `${prefix}/experiments/e/`) {
          holding = true;
          return 1500;
        }
        return 0;
      };
      const deleting = a.deleteExperiment("e", { deleteBackingTensorboardRuns: false });
      while (!holding) await new Promise((resolve) => setTimeout(resolve, 5));
      gate.open = true;
      const b = backend(prefix);
      await b.createExperiment({ name: "e", description: "second" });
      await b.createRun("e", { name: "new", state: "RUNNING" });
      await b.updateRun({ experiment: "e", run: "new" }, { params: { kept: true } });
      await b.appendTimeSeries({ experiment: "e", run: "new" }, [{ step: 1, wallTime: 1, values: { y: 2 } }]);
      await b.flush();
      await deleting;
      s3.server.delay = undefined;

      const reader = backend(prefix);
      expect((await reader.getExperiment("e"))?.description).toBe("second");
      expect((await reader.listRuns("e")).items.map((r) => [r.name, r.params])).toEqual([
        ["new", { kept: true }],
      ]);
      expect(
        settlePoints(await readSeriesPoints(reader, { experiment: "e", run: "new" })).map((p) => p.value),
      ).toEqual([2]);
      for (const x of [a, b, reader]) await x.close();
    });

    it("a run deletion whose clean-up runs late removes nothing of the run created again meanwhile", async () => {
      const prefix = uniquePrefix("race-run");
      const a = backend(prefix);
      await a.createExperiment({ name: "e" });
      const ref = { experiment: "e", run: "r" };
      await a.createRun("e", { name: "r", state: "RUNNING" });
      await a.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { x: 1 } }]);
      await a.flush();
      let holding = false;
      const gate = { open: false };
      s3.server.delay = (exchange) => {
        if (!gate.open && listingOf(exchange) === `${prefix}/experiments/e/series/r/`) {
          holding = true;
          return 1500;
        }
        return 0;
      };
      const deleting = a.deleteRun(ref, { deleteBackingTensorboardRun: false });
      while (!holding) await new Promise((resolve) => setTimeout(resolve, 5));
      gate.open = true;
      const b = backend(prefix);
      await b.createRun("e", { name: "r", state: "RUNNING" });
      await b.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { y: 2 } }]);
      await b.flush();
      await deleting;
      s3.server.delay = undefined;

      const reader = backend(prefix);
      expect(settlePoints(await readSeriesPoints(reader, ref)).map((p) => [p.metric, p.value])).toEqual([
        ["y", 2],
      ]);
      for (const x of [a, b, reader]) await x.close();
    });
  });
}
