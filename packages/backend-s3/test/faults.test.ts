import { readSeriesPoints, settlePoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import type { S3Backend } from "../src/index.js";
import { uniquePrefix, useTestServer } from "./server.js";

const s3 = useTestServer("s3rver", {
  claimSettleMs: 20,
  flushIntervalMs: 0,
  compactThreshold: 8,
  seriesChunkPoints: 40,
  seriesCompactThreshold: 4,
  retryBaseDelayMs: 5,
  maxRetries: 8,
});
const writer = (prefix: string): S3Backend => s3.backend(prefix);

describe("faults", () => {
  it("with 15% of requests answering 500, 503 or SlowDown, every write lands and every call returns", async () => {
    const prefix = uniquePrefix("faults");
    const setup = writer(prefix);
    await setup.createExperiment({ name: "exp" });
    await setup.createRun("exp", { name: "shared", state: "RUNNING" });
    await setup.close();
    const ref = { experiment: "exp", run: "shared" };

    s3.server.resetCounts();
    s3.server.faults.injected = 0;
    s3.server.faults.rate = 0.15;
    const backends = Array.from({ length: 4 }, () => writer(prefix));
    try {
      await Promise.all(
        backends.map(async (b, w) => {
          for (let k = 0; k < 10; k++) {
            await b.updateRun(ref, { params: { [`p-${w}-${k}`]: k }, metrics: { [`m-${w}-${k}`]: k } });
            await b.appendTimeSeries(
              ref,
              Array.from({ length: 20 }, (_, i) => ({
                step: k * 20 + i,
                wallTime: 1,
                values: { [`w${w}`]: k * 20 + i },
              })),
            );
            await b.createRun("exp", { name: `w${w}-r${k}`, state: "NEW" });
            if (k % 3 === 0) await readSeriesPoints(b, ref);
          }
          await b.close();
        }),
      );
    } finally {
      s3.server.faults.rate = 0;
    }
    const { total } = s3.server.requests;
    console.log(`faults: ${s3.server.faults.injected} of ${total} requests failed on purpose`);
    expect(s3.server.faults.injected / total).toBeGreaterThanOrEqual(0.1);

    const reader = writer(prefix);
    const run = await reader.getRun(ref);
    expect(Object.keys(run?.params ?? {})).toHaveLength(40);
    expect(Object.keys(run?.metrics ?? {})).toHaveLength(40);
    const points = settlePoints(await readSeriesPoints(reader, ref));
    for (let w = 0; w < 4; w++) {
      expect(points.filter((p) => p.metric === `w${w}`).map((p) => p.value)).toEqual(
        Array.from({ length: 200 }, (_, i) => i),
      );
    }
    expect((await reader.listRuns("exp")).items).toHaveLength(41);
    await reader.close();
  }, 180_000);
});
