import { createHash } from "node:crypto";
import { BackendError, readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { type Exchange, type Refusal, SERVERS, uniquePrefix, useTestServer } from "./server.js";

const isDeleteObjects = (x: Exchange) => x.method === "POST" && /[?&]delete(=|&|$)/.test(x.url);

/**
 * What MinIO and other S3-compatible servers do since the AWS SDK's default-checksum change
 * (aws-sdk-js-v3#6920): a DeleteObjects without a matching Content-MD5 is refused with 400.
 */
function requireContentMd5(x: Exchange): Refusal | undefined {
  if (!isDeleteObjects(x)) return undefined;
  const md5 = x.headers["content-md5"];
  if (typeof md5 !== "string") {
    return {
      status: 400,
      code: "MissingContentMD5",
      message: "Missing required header for this request: Content-Md5.",
    };
  }
  if (md5 !== createHash("md5").update(x.body).digest("base64")) {
    return {
      status: 400,
      code: "BadDigest",
      message: "The Content-MD5 you specified did not match what we received.",
    };
  }
  return undefined;
}

for (const kind of SERVERS) {
  describe(`DeleteObjects and failed deletions on ${kind}`, () => {
    const s3 = useTestServer(kind);

    async function populated(prefix: string) {
      const b = s3.backend(prefix, { compactThreshold: 4 });
      await b.createExperiment({ name: "e" });
      for (const name of ["a", "b", "c"]) {
        await b.createRun("e", { name, state: "RUNNING" });
        await b.updateRun({ experiment: "e", run: name }, { params: { name } });
        await b.appendTimeSeries({ experiment: "e", run: name }, [
          { step: 1, wallTime: 1, values: { x: 1 } },
        ]);
      }
      await b.flush();
      return b;
    }

    it("a server that requires Content-MD5 on DeleteObjects gets it: deletion and compaction work", async () => {
      const prefix = uniquePrefix("md5");
      s3.server.refuse = requireContentMd5;
      s3.server.resetCounts();
      s3.server.recording = true;
      try {
        const b = await populated(prefix);
        await b.deleteRun({ experiment: "e", run: "a" }, { deleteBackingTensorboardRun: false });
        await b.close(); // compacts
        expect(await s3.server.keys(`${prefix}/experiments/e/series/a/`)).toEqual([]);
        const meta = await s3.server.keys(`${prefix}/experiments/e/meta/`);
        expect(meta.filter((k) => k.includes("/d/"))).toEqual([]);

        const c = s3.backend(prefix);
        await c.deleteExperiment("e", { deleteBackingTensorboardRuns: false });
        const left = await s3.server.keys(`${prefix}/experiments/e/`);
        // Kept on purpose: the tombstone, the folder marker, and (conditional writes) creation keys.
        expect(left.filter((k) => !/\/meta\/t\/|\/experiment\.json$|\/claims\//.test(k))).toEqual([]);
        await c.close();
        const deletes = s3.server.recorded.filter(isDeleteObjects);
        expect(deletes.length).toBeGreaterThan(0);
        for (const x of deletes) expect(requireContentMd5(x)).toBeUndefined();
      } finally {
        s3.server.refuse = undefined;
        s3.server.recording = false;
      }
    });

    it("when every DeleteObjects fails, deletions still complete, the store stays consistent, and close() resolves", async () => {
      const prefix = uniquePrefix("nodelete");
      const warnings: string[] = [];
      const b = await populated(prefix);
      await b.close();
      s3.server.refuse = (x) =>
        isDeleteObjects(x)
          ? { status: 403, code: "AccessDenied", message: "Deletes are not allowed here." }
          : undefined;
      try {
        const writer = s3.backend(prefix, {
          compactThreshold: 4,
          onWarning: (message) => warnings.push(message),
        });
        await writer.deleteRun({ experiment: "e", run: "a" }, { deleteBackingTensorboardRun: false });
        await writer.deleteExperiment("e", { deleteBackingTensorboardRuns: false });
        expect(await writer.getExperiment("e")).toBeUndefined();
        await writer.createExperiment({ name: "e", description: "again" });
        await writer.createRun("e", { name: "a", state: "NEW" });
        await writer.close();
        expect(warnings.length).toBeGreaterThan(0);
        for (const warning of warnings) {
          expect(warning).toContain("AccessDenied");
          // Not retried (a 403 is final), so the message must not say it was.
          expect(warning).not.toMatch(/retried|attempts/);
        }
        const reader = s3.backend(prefix);
        expect((await reader.getExperiment("e"))?.description).toBe("again");
        expect((await reader.listRuns("e")).items.map((r) => [r.name, r.params])).toEqual([["a", {}]]);
        expect(await readSeriesPoints(reader, { experiment: "e", run: "a" })).toEqual([]);
        await reader.close();
      } finally {
        s3.server.refuse = undefined;
      }
    });

    it("a refused request is a BackendError whose message says whether it was retried", async () => {
      const prefix = uniquePrefix("msg");
      const b = s3.backend(prefix, { retryBaseDelayMs: 1 });
      s3.server.refuse = (x) =>
        x.method === "PUT"
          ? { status: 400, code: "InvalidRequest", message: "Refused by the test." }
          : undefined;
      const final = await b.createExperiment({ name: "e" }).catch((error: unknown) => error);
      s3.server.refuse = (x) =>
        x.method === "PUT" ? { status: 503, code: "SlowDown", message: "Refused by the test." } : undefined;
      const retried = await b.createExperiment({ name: "e" }).catch((error: unknown) => error);
      s3.server.refuse = undefined;
      expect(final).toBeInstanceOf(BackendError);
      expect(String(final)).toContain("InvalidRequest");
      expect(String(final)).not.toMatch(/retried|attempts/);
      expect(retried).toBeInstanceOf(BackendError);
      expect(String(retried)).toMatch(/after 8 attempts over [\d.]+ s \(SlowDown/);
      await b.close();
    });
  });
}
