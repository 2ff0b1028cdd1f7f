import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { BackendError, NotFoundError } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { BUCKET, SERVERS, uniquePrefix, useTestServer } from "./server.js";

/**
 * Corrupt deletion objects (`t/` tombstones, `x/` run deletions) met by the list barrier of a
 * backend that already knows the experiment: every write they could end must keep failing (not
 * only the first), naming the key; a run deletion's corruption must not hide the other runs.
 */
for (const kind of SERVERS) {
  describe(`corrupt deletion objects on ${kind}`, () => {
    const s3 = useTestServer(kind);
    const overwrite = (key: string) =>
      s3.server.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '{"foreign":1}' }));
    const rejects = async (promise: Promise<unknown>, key: string) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toContain(`s3://${BUCKET}/${key}`);
    };

    it("a corrupt run deletion fails every write and read of that run, and hides no other run", async () => {
      const prefix = uniquePrefix("corrupt-x");
      const a = s3.backend(prefix);
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      await a.createRun("e", { name: "gone", state: "RUNNING" });
      await a.getRun({ experiment: "e", run: "gone" });
      const b = s3.backend(prefix);
      await b.deleteRun({ experiment: "e", run: "gone" }, { deleteBackingTensorboardRun: false });
      await b.close();
      const [key] = await s3.server.keys(`${prefix}/experiments/e/meta/x/`);
      const original = await (
        await s3.server.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      ).Body?.transformToString();
      await overwrite(key as string);
      const gone = { experiment: "e", run: "gone" };
      for (let attempt = 0; attempt < 3; attempt++)
        await rejects(a.updateRun(gone, { params: { late: attempt } }), key as string);
      await rejects(a.getRun(gone), key as string);
      // The other run is another run: its deltas, reads and writes do not depend on that object.
      await a.updateRun({ experiment: "e", run: "r" }, { params: { p: 1 } });
      const reader = s3.backend(prefix);
      expect((await reader.getRun({ experiment: "e", run: "r" }))?.params).toEqual({ p: 1 });
      await reader.updateRun({ experiment: "e", run: "r" }, { params: { p: 2 } });
      await rejects(reader.listRuns("e"), key as string);
      // Restored (say from bucket versioning): the same backends read it again and see the deletion.
      await s3.server.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: original }));
      await expect(a.updateRun(gone, { params: { late: 9 } })).rejects.toBeInstanceOf(NotFoundError);
      expect(await a.getRun(gone)).toBeUndefined();
      expect((await reader.listRuns("e")).items.map((r) => r.name)).toEqual(["r"]);
      for (const x of [a, reader]) await x.close();
    });

    it("a corrupt tombstone fails every write to the experiment it may have ended, not only the first", async () => {
      const prefix = uniquePrefix("corrupt-t");
      const a = s3.backend(prefix);
      await a.createExperiment({ name: "e" });
      await a.getExperiment("e");
      const b = s3.backend(prefix);
      await b.deleteExperiment("e", { deleteBackingTensorboardRuns: false });
      await b.close();
      const [key] = await s3.server.keys(`${prefix}/experiments/e/meta/t/`);
      await overwrite(key as string);
      for (let attempt = 0; attempt < 3; attempt++)
        await rejects(a.updateExperiment("e", { description: `late ${attempt}` }), key as string);
      await a.close();
    });
  });
}
