import { PutObjectCommand } from "@aws-sdk/client-s3";
import { AlreadyExistsError, BackendError, readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import type { S3Backend } from "../src/index.js";
import { BUCKET, SERVERS, uniquePrefix, useTestServer } from "./server.js";

/** Rejects with the error, or fails the test if the promise resolves. */
async function failure(promise: Promise<unknown>): Promise<BackendError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(BackendError);
  return outcome.error as BackendError;
}

for (const kind of SERVERS) {
  describe(`corrupt and foreign objects on ${kind}`, () => {
    const s3 = useTestServer(kind);

    async function store(prefix: string): Promise<void> {
      const b = s3.backend(prefix);
      await b.createExperiment({ name: "e", description: "kept" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      await b.updateRun({ experiment: "e", run: "r" }, { params: { lr: 0.1 } });
      await b.createExperiment({ name: "other" });
      await b.close(); // compacts: the experiment is now one snapshot
    }

    async function overwrite(key: string, body: string): Promise<void> {
      await s3.server.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    }

    async function snapshotOf(prefix: string): Promise<string> {
      const keys = await s3.server.keys(`${prefix}/experiments/e/meta/s/`);
      expect(keys).toHaveLength(1);
      return keys[0] as string;
    }

    function reporting(
      prefix: string,
      compactThreshold?: number,
    ): { backend: S3Backend; reported: string[] } {
      const reported: string[] = [];
      const backend = s3.backend(prefix, { onCorruptObject: (key) => reported.push(key), compactThreshold });
      return { backend, reported };
    }

    for (const [what, body] of [
      ["garbage", "{not json at all"],
      ["valid foreign JSON", JSON.stringify({ hello: "world", items: [1, 2, 3] })],
      ["a JSON document shaped like an empty snapshot", JSON.stringify({ folded: [], data: {} })],
    ] as const) {
      it(`${what} over the snapshot is an error naming bucket and key, never a missing experiment`, async () => {
        const prefix = uniquePrefix("snap");
        await store(prefix);
        const key = await snapshotOf(prefix);
        await overwrite(key, body);
        const { backend, reported } = reporting(prefix);
        const where = `s3://${BUCKET}/${key}`;
        expect((await failure(backend.getExperiment("e"))).message).toContain(where);
        expect((await failure(backend.listExperiments())).message).toContain(where);
        expect((await failure(backend.getRun({ experiment: "e", run: "r" }))).message).toContain(where);
        expect((await failure(backend.listRuns("e"))).message).toContain(where);
        // No creation over it: the name is not free just because its record cannot be read.
        const create = await backend.createExperiment({ name: "e" }).then(
          () => "created",
          (error: unknown) => error,
        );
        expect(create).not.toBe("created");
        expect(create).not.toBeInstanceOf(AlreadyExistsError);
        expect(String(create)).toContain(where);
        expect(reported).toEqual([key]);
        // The rest of the store stays readable.
        expect((await backend.getExperiment("other"))?.name).toBe("other");
        await backend.close();
      });
    }

    it("a corrupt delta no snapshot holds fails the read and names it", async () => {
      const prefix = uniquePrefix("delta");
      const b = s3.backend(prefix, { compactOnClose: false });
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      await b.updateRun({ experiment: "e", run: "r" }, { params: { lr: 0.1 } });
      await b.close();
      const deltas = await s3.server.keys(`${prefix}/experiments/e/meta/d/`);
      const last = deltas[deltas.length - 1] as string;
      await overwrite(last, "]]");
      const { backend, reported } = reporting(prefix);
      expect((await failure(backend.getRun({ experiment: "e", run: "r" }))).message).toContain(
        `s3://${BUCKET}/${last}`,
      );
      expect(reported).toEqual([last]);
      await backend.close();
    });

    it("a corrupt delta a snapshot already folded is a warning, nothing is lost, and compaction removes it", async () => {
      const prefix = uniquePrefix("covered");
      const b = s3.backend(prefix, { compactOnClose: false });
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      await b.updateRun({ experiment: "e", run: "r" }, { params: { lr: 0.1 } });
      // A compaction whose deletions fail: the snapshot exists, the deltas it folded stay.
      s3.server.refuse = (x) =>
        x.method === "POST" && x.url.includes("delete")
          ? { status: 403, code: "AccessDenied", message: "no" }
          : undefined;
      await b.compact();
      s3.server.refuse = undefined;
      await b.close();
      const deltas = await s3.server.keys(`${prefix}/experiments/e/meta/d/`);
      expect(deltas.length).toBeGreaterThan(1);
      const victim = deltas[0] as string;
      await overwrite(victim, "garbage");

      // A reader that compacts at once: it folds the leftovers, the corrupt one included.
      const { backend, reported } = reporting(prefix, 2);
      expect((await backend.getRun({ experiment: "e", run: "r" }))?.params).toEqual({ lr: 0.1 });
      expect(reported).toEqual([victim]);
      expect(await s3.server.keys(`${prefix}/experiments/e/meta/d/`)).toEqual([]);
      expect((await s3.backend(prefix).getRun({ experiment: "e", run: "r" }))?.params).toEqual({ lr: 0.1 });
      await backend.close();
    });

    it("a key that is not one of the store's is left alone and hides nothing", async () => {
      const prefix = uniquePrefix("foreign-key");
      await store(prefix);
      await overwrite(`${prefix}/experiments/e/meta/README.txt`, "notes");
      await overwrite(`${prefix}/experiments/e/meta/s/not-a-version.json`, "{}");
      const { backend, reported } = reporting(prefix);
      expect((await backend.getExperiment("e"))?.description).toBe("kept");
      expect((await backend.getRun({ experiment: "e", run: "r" }))?.params).toEqual({ lr: 0.1 });
      expect(reported).toEqual([]);
      await backend.close();
      expect(await s3.server.keys(`${prefix}/experiments/e/meta/README.txt`)).toHaveLength(1);
    });

    it("deletions leave keys that are not the store's alone, even inside the folders they clean", async () => {
      const prefix = uniquePrefix("foreign-cleanup");
      const b = s3.backend(prefix, { compactOnClose: false });
      await b.createExperiment({ name: "e" });
      const run = await b.createRun("e", { name: "r", state: "RUNNING" });
      await b.appendTimeSeries({ experiment: "e", run: "r" }, [{ step: 1, wallTime: 1, values: { x: 1 } }]);
      await b.flush();
      const [delta] = await s3.server.keys(`${prefix}/experiments/e/meta/d/`);
      const foreign = [
        `${prefix}/experiments/e/series/r/${run.incarnation}/NOTES.txt`,
        `${(delta as string).replace(/\.json$/, "")}.json.bak`,
        `${prefix}/experiments/e/meta/x/${run.incarnation}-copy.txt`,
      ];
      for (const key of foreign) await overwrite(key, "kept by the user");
      await b.deleteRun({ experiment: "e", run: "r" }, { deleteBackingTensorboardRun: false });
      await b.deleteExperiment("e", { deleteBackingTensorboardRuns: false });
      await b.close();
      const left = new Set(await s3.server.keys(`${prefix}/`));
      for (const key of foreign) expect(left.has(key), key).toBe(true);
      expect([...left].filter((k) => k.endsWith(".bin"))).toEqual([]);
    });

    it("a corrupt time-series chunk fails the read after the points before it, saying how many were delivered", async () => {
      const prefix = uniquePrefix("chunk");
      const b = s3.backend(prefix);
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      for (let flush = 0; flush < 3; flush++) {
        await b.appendTimeSeries(
          ref,
          Array.from({ length: 10 }, (_, i) => ({ step: flush * 10 + i, wallTime: 1, values: { loss: i } })),
        );
        await b.flush();
      }
      await b.close();
      const chunks = (await s3.server.keys(`${prefix}/experiments/e/series/r/`)).sort();
      expect(chunks).toHaveLength(3);
      await overwrite(chunks[1] as string, "truncated");
      const { backend, reported } = reporting(prefix);
      const delivered: number[] = [];
      const error = await failure(
        (async () => {
          for await (const chunk of backend.readSeries(ref)) delivered.push(...chunk.steps);
        })(),
      );
      expect(delivered).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(error.message).toContain(`s3://${BUCKET}/${chunks[1]}`);
      expect(error.message).toContain("after delivering 10 points");
      expect((await failure(readSeriesPoints(backend, ref))).message).toContain(chunks[1] as string);
      expect(reported).toContain(chunks[1]);
      await backend.close();
    });
  });
}
