import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { type Exchange, moto, SERVERS, uniquePrefix, useTestServer } from "./server.js";

/**
 * A conditional create whose PUT reached the server but whose answer was lost (a 500 or a dropped
 * connection after the write) is retried, and the retry meets the creator's own object: 412. That
 * is not a lost race. The creator won and must get its record, not `AlreadyExistsError`.
 */
const creationPut = (x: Exchange, part: string) =>
  x.method === "PUT" && x.headers["if-none-match"] === "*" && decodeURIComponent(x.url).includes(part);

if (moto.available) {
  describe("conditional creates whose answer is lost (moto)", () => {
    const s3 = useTestServer("moto");

    function failOnce(part: string): void {
      let failed = false;
      s3.server.failAfter = (x) => {
        if (failed || !creationPut(x, part)) return undefined;
        failed = true;
        return { status: 500, code: "InternalError", message: "stored, then the answer was lost" };
      };
    }

    it("createExperiment, createRun and createArtifact succeed when the stored creation PUT answered 500", async () => {
      const prefix = uniquePrefix("lost-answer");
      const b = s3.backend(prefix, { conditionalWrites: true, retryBaseDelayMs: 5 });
      try {
        failOnce("/claims/0000000001.json");
        expect((await b.createExperiment({ name: "e", description: "mine" })).description).toBe("mine");
        failOnce("/claims/0000000001/r/0000000001.json");
        expect((await b.createRun("e", { name: "r", state: "RUNNING" })).name).toBe("r");
        failOnce("/resources/claims/artifacts/model.json");
        expect((await b.createArtifact({ id: "model", schemaTitle: "system.Model" })).id).toBe("model");
      } finally {
        s3.server.failAfter = undefined;
      }
      // Exactly one creation of each, and a second create of the name is refused.
      const reader = s3.backend(prefix, { conditionalWrites: true });
      expect((await reader.listRuns("e")).items.map((r) => r.name)).toEqual(["r"]);
      await expect(reader.createRun("e", { name: "r", state: "NEW" })).rejects.toMatchObject({
        code: "ALREADY_EXISTS",
      });
      for (const x of [b, reader]) await x.close();
    });
  });
}

for (const kind of SERVERS) {
  describe(`a flush whose chunk was stored but reported failed, on ${kind}`, () => {
    const s3 = useTestServer(kind);

    it("the next flush writes the same chunk object again: every point once, never twice", async () => {
      const prefix = uniquePrefix("lost-chunk");
      const b = s3.backend(prefix, { maxAttempts: 2, retryBaseDelayMs: 5 });
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      const ref = { experiment: "e", run: "r" };
      const chunkPut = (x: Exchange) => x.method === "PUT" && decodeURIComponent(x.url).includes(".bin");
      // Every attempt stores the chunk and is told 500: the flush rejects, the chunk exists.
      s3.server.failAfter = (x) =>
        chunkPut(x) ? { status: 500, code: "InternalError", message: "stored, answer lost" } : undefined;
      try {
        await b.appendTimeSeries(ref, [{ step: 1, wallTime: 1, values: { loss: 1 } }]);
        await expect(b.flush()).rejects.toThrow(/InternalError/);
      } finally {
        s3.server.failAfter = undefined;
      }
      await b.appendTimeSeries(ref, [{ step: 2, wallTime: 2, values: { loss: 2 } }]);
      await b.flush();
      const reader = s3.backend(prefix);
      expect((await readSeriesPoints(reader, ref)).map((p) => [p.step, p.value])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      for (const x of [b, reader]) await x.close();
    });
  });
}
