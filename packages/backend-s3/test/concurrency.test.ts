import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { isExprunError, readSeriesPoints, settlePoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import type { S3Backend } from "../src/index.js";
import { BUCKET, SERVERS, uniquePrefix, useTestServer } from "./server.js";

const WRITERS = 8;
const ROUNDS = 8;

async function outcomes(promises: Promise<unknown>[]): Promise<{ won: number; lost: number }> {
  const results = await Promise.allSettled(promises);
  let won = 0;
  let lost = 0;
  for (const result of results) {
    if (result.status === "fulfilled") won++;
    else if (isExprunError(result.reason, "ALREADY_EXISTS")) lost++;
    else throw result.reason;
  }
  return { won, lost };
}

for (const kind of SERVERS) {
  describe(`${WRITERS} concurrent writers on ${kind}`, () => {
    const s3 = useTestServer(kind, {
      claimSettleMs: 50,
      flushIntervalMs: 0,
      compactThreshold: 8,
      seriesChunkPoints: 50,
      seriesCompactThreshold: 3,
    });
    /** One writer as a separate machine would be: its own S3Client and backend. */
    const writer = (prefix: string): S3Backend => s3.backend(prefix);

    describe(`${WRITERS} concurrent writers with separate S3 clients`, () => {
      // On moto this is the claim protocol (conditional creates on moto: conditional.test.ts), since
      // moto's conditional check is not atomic.
      it("exactly one of racing creators wins, for experiments, runs and artifact ids", async () => {
        const prefix = uniquePrefix("race");
        const backends = Array.from({ length: WRITERS }, () =>
          s3.backend(prefix, { conditionalWrites: false }),
        );
        expect(await outcomes(backends.map((b) => b.createExperiment({ name: "exp" })))).toEqual({
          won: 1,
          lost: WRITERS - 1,
        });
        expect(
          await outcomes(
            backends.map((b, i) => b.createRun("exp", { name: "run", state: i % 2 ? "NEW" : "RUNNING" })),
          ),
        ).toEqual({
          won: 1,
          lost: WRITERS - 1,
        });
        expect(
          await outcomes(backends.map((b) => b.createArtifact({ id: "model", schemaTitle: "system.Model" }))),
        ).toEqual({
          won: 1,
          lost: WRITERS - 1,
        });
        expect(
          await outcomes(backends.map((b) => b.createExecution({ id: "exec", schemaTitle: "system.Run" }))),
        ).toEqual({
          won: 1,
          lost: WRITERS - 1,
        });
        const reader = writer(prefix);
        expect((await reader.listRuns("exp")).items).toHaveLength(1);
        for (const b of [...backends, reader]) await b.close();
      });

      // One server is enough for this heavy case: it exercises the merge, not the server.
      if (kind === "s3rver")
        it("params, metrics, states, time series and runs written to one run and experiment all survive", async () => {
          const prefix = uniquePrefix("many");
          const backends = Array.from({ length: WRITERS }, () => writer(prefix));
          await backends[0]?.createExperiment({ name: "exp" });
          await backends[0]?.createRun("exp", { name: "shared", state: "RUNNING" });
          const ref = { experiment: "exp", run: "shared" };
          s3.server.resetCounts();
          await Promise.all(
            backends.map(async (b, w) => {
              for (let k = 0; k < ROUNDS; k++) {
                await b.updateRun(ref, {
                  params: { [`p-${w}-${k}`]: k },
                  metrics: { [`m-${w}-${k}`]: w * 100 + k },
                });
                await b.appendTimeSeries(
                  ref,
                  Array.from({ length: 20 }, (_, i) => ({
                    step: k * 20 + i,
                    wallTime: 1000 + i,
                    values: { [`w${w}`]: k * 20 + i },
                  })),
                );
                await b.createRun("exp", { name: `w${w}-r${k}`, state: "NEW" });
                await b.attributeToRun(ref, {
                  artifacts: [(await b.createArtifact({ schemaTitle: "system.Model" })).id],
                });
              }
              await b.flush();
            }),
          );
          for (const b of backends) await b.close();
          console.log(
            `${WRITERS} writers x ${ROUNDS} rounds: ${s3.server.requests.total} requests`,
            s3.server.requests.byMethod,
          );

          const reader = writer(prefix);
          const run = await reader.getRun(ref);
          expect(Object.keys(run?.params ?? {})).toHaveLength(WRITERS * ROUNDS);
          expect(Object.keys(run?.metrics ?? {})).toHaveLength(WRITERS * ROUNDS);
          expect(run?.metrics[`m-7-${ROUNDS - 1}`]).toBe(700 + ROUNDS - 1);
          const points = settlePoints(await readSeriesPoints(reader, ref));
          for (let w = 0; w < WRITERS; w++) {
            const mine = points.filter((p) => p.metric === `w${w}`);
            expect(mine.map((p) => p.value)).toEqual(Array.from({ length: ROUNDS * 20 }, (_, i) => i));
          }
          const latest = await reader.latestTimeSeries(ref);
          expect(Object.keys(latest)).toHaveLength(WRITERS);
          expect(latest.w3?.step).toBe(ROUNDS * 20 - 1);
          const runs = await reader.listRuns("exp");
          expect(runs.items).toHaveLength(1 + WRITERS * ROUNDS);
          expect((await reader.listArtifacts({ run: ref })).items).toHaveLength(WRITERS * ROUNDS);
          await reader.close();
        }, 180_000);
    });

    // Real processes on one server: the races themselves run on both servers above and in
    // conditional.test.ts.
    if (kind === "s3rver")
      describe(`${WRITERS} concurrent writer processes`, () => {
        it("lose nothing, and exactly one of them wins a creation race", async () => {
          const prefix = uniquePrefix("procs");
          const setup = writer(prefix);
          await setup.createExperiment({ name: "shared" });
          await setup.createRun("shared", { name: "shared", state: "RUNNING" });
          await setup.close();

          const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "writer.mjs");
          const run = promisify(execFile);
          const startAt = Date.now() + 4000;
          const children = await Promise.all(
            Array.from({ length: WRITERS }, (_, w) =>
              run(
                process.execPath,
                [
                  "--openssl-legacy-provider",
                  script,
                  s3.server.endpoint,
                  BUCKET,
                  prefix,
                  String(w),
                  String(startAt),
                ],
                {
                  env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
                  timeout: 120_000,
                },
              ),
            ),
          );
          const reports = children.map((c) => JSON.parse(c.stdout) as { worker: number; won: boolean });
          expect(reports.filter((r) => r.won)).toHaveLength(1);

          const reader = writer(prefix);
          const ref = { experiment: "shared", run: "shared" };
          const record = await reader.getRun(ref);
          expect(Object.keys(record?.params ?? {})).toHaveLength(WRITERS * 10);
          expect(Object.keys(record?.metrics ?? {})).toHaveLength(WRITERS * 10);
          const points = await readSeriesPoints(reader, ref);
          for (let w = 0; w < WRITERS; w++)
            expect(points.filter((p) => p.metric === `w${w}`)).toHaveLength(200);
          expect((await reader.listRuns("shared")).items).toHaveLength(2 + WRITERS * 10);
          await reader.close();
        }, 180_000);
      });
  });
}
