import { readSeriesPoints, settlePoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import type { S3Backend } from "../src/index.js";
import { SERVERS, uniquePrefix, useTestServer } from "./server.js";

const YEAR = 365 * 24 * 3_600_000;

/**
 * Order under extreme skew, both directions, with writers that know the run and writers that
 * have never read it. `now` skews the backend's clock (versions, times); signing stays right.
 */
for (const kind of SERVERS) {
  describe(`clock skew of a year, both directions, on ${kind}`, () => {
    const s3 = useTestServer(kind);

    it("each acknowledged write is overwritten by the next one, whichever clock is ahead", async () => {
      const prefix = uniquePrefix("year");
      const setup = s3.backend(prefix);
      await setup.createExperiment({ name: "e" });
      await setup.createRun("e", { name: "r", state: "RUNNING" });
      await setup.createExecution({
        id: "exec-x",
        displayName: "x",
        schemaTitle: "system.ContainerExecution",
      });
      await setup.close();
      const ref = { experiment: "e", run: "r" };
      const ahead = s3.backend(prefix, { now: () => Date.now() + YEAR });
      const behind = s3.backend(prefix, { now: () => Date.now() - YEAR });
      const warm: S3Backend[] = [ahead, behind];
      for (const b of warm) {
        await b.getRun(ref);
        await b.getExecution("exec-x");
      }
      const write = async (b: S3Backend, value: number) => {
        await b.updateRun(ref, { params: { p: value }, state: value % 2 ? "FAILED" : "COMPLETE" });
        await b.appendTimeSeries(ref, [{ step: 7, wallTime: 1, values: { loss: value } }]);
        await b.flush();
        await b.updateExperiment("e", { description: `v${value}` });
        await b.updateExecution("exec-x", {
          state: value % 2 ? "FAILED" : "COMPLETE",
          metadata: { k: value },
        });
      };
      // ahead → behind → cold(behind) → ahead → cold(ahead) → behind: every turn must win.
      const turns: [() => S3Backend, number][] = [
        [() => ahead, 1],
        [() => behind, 2],
        [() => s3.backend(prefix, { now: () => Date.now() - 2 * YEAR }), 3],
        [() => ahead, 4],
        [() => s3.backend(prefix, { now: () => Date.now() + 2 * YEAR }), 5],
        [() => behind, 6],
      ];
      const opened: S3Backend[] = [];
      for (const [open, value] of turns) {
        const b = open();
        opened.push(b);
        await write(b, value);
        const reader = s3.backend(prefix);
        const run = await reader.getRun(ref);
        expect(run?.params).toEqual({ p: value });
        expect(run?.state).toBe(value % 2 ? "FAILED" : "COMPLETE");
        const points = settlePoints(await readSeriesPoints(reader, ref));
        expect(points.map((p) => p.value)).toEqual([value]);
        expect((await reader.latestTimeSeries(ref)).loss?.value).toBe(value);
        expect((await reader.getExperiment("e"))?.description).toBe(`v${value}`);
        const execution = await reader.getExecution("exec-x");
        expect(execution?.state).toBe(value % 2 ? "FAILED" : "COMPLETE");
        expect(execution?.metadata).toMatchObject({ k: value });
        await reader.close();
      }
      for (const b of new Set(opened)) await b.close();
    }, 120_000);

    it("artifacts and executions without an id list in creation order, whichever clock is ahead", async () => {
      const prefix = uniquePrefix("order");
      const ahead = s3.backend(prefix, { now: () => Date.now() + YEAR });
      const behind = s3.backend(prefix, { now: () => Date.now() - YEAR });
      const artifacts: string[] = [];
      const executions: string[] = [];
      for (const b of [ahead, behind, ahead, behind]) {
        artifacts.push((await b.createArtifact({ schemaTitle: "system.Model" })).id);
        executions.push(
          (await b.createExecution({ displayName: "x", schemaTitle: "system.ContainerExecution" })).id,
        );
      }
      const reader = s3.backend(prefix);
      expect((await reader.listArtifacts()).items.map((a) => a.id)).toEqual(artifacts);
      expect((await reader.listExecutions()).items.map((x) => x.id)).toEqual(executions);
      for (const b of [ahead, behind, reader]) await b.close();
    });
  });
}
