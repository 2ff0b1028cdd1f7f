import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { AlreadyExistsError, isExprunError, NotFoundError } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { BUCKET, type Exchange, moto, SERVERS, uniquePrefix, useTestServer } from "./server.js";

const conditional = (x: Exchange) => x.method === "PUT" && x.headers["if-none-match"] === "*";
const isList = (x: Exchange) => x.method === "GET" && /[?&]list-type=2/.test(x.url);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function outcomes(promises: Promise<unknown>[]): Promise<{ won: number; lost: number }> {
  let won = 0;
  let lost = 0;
  for (const result of await Promise.allSettled(promises)) {
    if (result.status === "fulfilled") won++;
    else if (isExprunError(result.reason, "ALREADY_EXISTS")) lost++;
    else throw result.reason;
  }
  return { won, lost };
}

describe('conditionalWrites: "auto" probes the server once', () => {
  for (const kind of SERVERS) {
    describe(kind, () => {
      const s3 = useTestServer(kind);

      it(`${kind === "moto" ? "finds conditional writes honoured" : "finds conditional writes ignored and uses the claim protocol"}, with two probe PUTs at most, once per backend`, async () => {
        const b = s3.backend(uniquePrefix("probe"), { claimSettleMs: 5 });
        s3.server.resetCounts();
        s3.server.recording = true;
        expect(await b.conditionalWrites()).toBe(kind === "moto");
        expect(await b.conditionalWrites()).toBe(kind === "moto");
        const probes = s3.server.recorded.filter(conditional);
        expect(probes.length).toBeGreaterThanOrEqual(1);
        expect(probes.length).toBeLessThanOrEqual(2);
        for (const probe of probes) expect(probe.url).toContain("exprun-probe.json");
        s3.server.recording = false;
        await b.close();
      });
    });
  }
});

if (moto.available) {
  describe("conditional creates on moto (honours If-None-Match)", () => {
    const s3 = useTestServer("moto");

    it("a create is one LIST and two PUTs (the conditional creation key, then the claim for readers), with no waiting", async () => {
      const prefix = uniquePrefix("cost");
      // A claim window of ten minutes: a create that waited for it would time the test out.
      const b = s3.backend(prefix, { conditionalWrites: true, claimSettleMs: 600_000 });
      await b.createExperiment({ name: "e" });
      s3.server.resetCounts();
      s3.server.recording = true;
      const run = await b.createRun("e", { name: "r", state: "RUNNING" });
      s3.server.recording = false;
      expect(run.name).toBe("r");
      const seen = s3.server.recorded;
      expect(seen.filter(isList)).toHaveLength(1);
      expect(seen.filter(conditional).map((x) => decodeURIComponent(x.url))).toEqual([
        expect.stringMatching(new RegExp(`/${prefix}/experiments/e/claims/0000000001/r/0000000001\\.json`)),
      ]);
      expect(seen.filter((x) => x.method === "PUT")).toHaveLength(2);
      expect(seen).toHaveLength(3);
      await expect(b.createRun("e", { name: "r", state: "RUNNING" })).rejects.toBeInstanceOf(
        AlreadyExistsError,
      );
      await b.close();
    });

    it("exactly one winner even when the creators' PUTs stall far longer than claimSettleMs", async () => {
      const prefix = uniquePrefix("stall");
      const setup = s3.backend(prefix, { conditionalWrites: true });
      await setup.createExperiment({ name: "e" });
      await setup.close();
      // Racers start 30 ms apart; the proxy holds the k-th creation PUT it sees (8 - k) × 250 ms, so
      // the earliest racer's claim lands last: the claim protocol's window (20 ms) cannot decide.
      let seen = 0;
      s3.server.delay = (x) => {
        if (x.method !== "PUT" || !decodeURIComponent(x.url).includes("race")) return 0;
        const k = seen++;
        return Math.max(0, 8 - k) * 250;
      };
      const racers = Array.from({ length: 8 }, () =>
        s3.backend(prefix, { conditionalWrites: true, claimSettleMs: 20 }),
      );
      try {
        const result = await outcomes(
          racers.map(async (b, i) => {
            await sleep(i * 30);
            return b.createRun("e", { name: "race", state: "RUNNING" });
          }),
        );
        expect(result).toEqual({ won: 1, lost: 7 });
      } finally {
        s3.server.delay = undefined;
      }
      const reader = s3.backend(prefix);
      expect((await reader.listRuns("e")).items.map((r) => r.name)).toEqual(["race"]);
      for (const b of [...racers, reader]) await b.close();
    });

    it("a name deleted and created again takes the next creation key; a client holding the old run is refused", async () => {
      const prefix = uniquePrefix("reuse");
      const a = s3.backend(prefix, { conditionalWrites: true });
      const stale = s3.backend(prefix, { conditionalWrites: true });
      await a.createExperiment({ name: "e" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      await stale.getRun({ experiment: "e", run: "r" });
      await a.deleteRun({ experiment: "e", run: "r" }, { deleteBackingTensorboardRun: false });
      await a.createRun("e", { name: "r", state: "NEW" });
      await a.deleteExperiment("e", { deleteBackingTensorboardRuns: false });
      await a.createExperiment({ name: "e", description: "second" });
      await a.createRun("e", { name: "r", state: "RUNNING" });
      const claims = (await s3.server.keys(`${prefix}/experiments/e/claims/`)).map((k) =>
        k.slice(prefix.length),
      );
      expect(claims).toEqual([
        "/experiments/e/claims/0000000001.json",
        "/experiments/e/claims/0000000001/r/0000000001.json",
        "/experiments/e/claims/0000000001/r/0000000002.json",
        "/experiments/e/claims/0000000002.json",
        "/experiments/e/claims/0000000002/r/0000000001.json",
      ]);
      await expect(
        stale.updateRun({ experiment: "e", run: "r" }, { params: { x: 1 } }),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect((await a.getExperiment("e"))?.description).toBe("second");
      for (const b of [a, stale]) await b.close();
    });

    it("a creator that died between its two PUTs still owns the name: the next creator puts its claim in the log", async () => {
      const prefix = uniquePrefix("orphan");
      const a = s3.backend(prefix, { conditionalWrites: true });
      await a.createExperiment({ name: "e" });
      const admin = s3.server.client();
      const experimentClaim = await admin.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/experiments/e/claims/0000000001.json` }),
      );
      const { v: experimentIncarnation } = JSON.parse(
        (await experimentClaim.Body?.transformToString()) ?? "{}",
      );
      // The creation object of run "r", as a creator writes it first, and then nothing more.
      const orphan = {
        v: "1790000000000-0badc0de-00000001",
        claim: {
          g: 1,
          e: experimentIncarnation,
          state: "RUNNING",
          runType: "system.ExperimentRun",
          createTime: 1_790_000_000_000,
        },
      };
      await admin.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}/experiments/e/claims/0000000001/r/0000000001.json`,
          Body: JSON.stringify(orphan),
        }),
      );
      expect(await a.getRun({ experiment: "e", run: "r" })).toBeUndefined();
      const b = s3.backend(prefix, { conditionalWrites: true });
      await expect(b.createRun("e", { name: "r", state: "NEW" })).rejects.toBeInstanceOf(AlreadyExistsError);
      expect(await a.getRun({ experiment: "e", run: "r" })).toMatchObject({
        state: "RUNNING",
        createTime: 1_790_000_000_000,
      });
      for (const x of [a, b]) await x.close();
    });

    it("8 racing creators on separate clients: one winner per creation (moto's check is not atomic: two, rarely)", async () => {
      const prefix = uniquePrefix("race8");
      const racers = Array.from({ length: 8 }, () => s3.backend(prefix, { conditionalWrites: true }));
      const experiment = await outcomes(racers.map((b) => b.createExperiment({ name: "exp" })));
      const run = await outcomes(racers.map((b) => b.createRun("exp", { name: "run", state: "RUNNING" })));
      const artifact = await outcomes(
        racers.map((b) => b.createArtifact({ id: "model", schemaTitle: "system.Model" })),
      );
      for (const result of [experiment, run, artifact]) {
        expect(result.won + result.lost).toBe(8);
        expect(result.won).toBeGreaterThanOrEqual(1);
        // moto checks If-None-Match and then writes, without a lock: of many racers, two may both
        // pass the check (0.3–1 % of 32-way races measured). AWS, MinIO and R2 decide atomically.
        expect(result.won).toBeLessThanOrEqual(2);
        if (result.won === 2)
          console.warn("moto let two conditional creators through (its check is not atomic)");
      }
      const reader = s3.backend(prefix);
      expect((await reader.listRuns("exp")).items).toHaveLength(1);
      for (const b of [...racers, reader]) await b.close();
    });
  });
}
