import { describe, expect, it } from "vitest";
import { type Exchange, moto, uniquePrefix, useTestServer } from "./server.js";

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
