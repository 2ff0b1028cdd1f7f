import { latestSeriesPoints, readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { finished, fixture, requireBuilt, startNode } from "./children.js";
import { tempDir } from "./helpers.js";

const WORKERS = 8;
const PER_WORKER = 60;

describe("many processes writing one run and one experiment", () => {
  it(`${WORKERS} processes writing params, metrics, time series, state, artifacts and children lose nothing`, async () => {
    requireBuilt();
    const root = await tempDir();
    const setup = createFileBackend({ root });
    await setup.createExperiment({ name: "shared-exp" });
    await setup.createRun("shared-exp", { name: "shared", state: "RUNNING" });

    const children = Array.from({ length: WORKERS }, (_, w) =>
      finished(
        startNode(fixture("concurrent-writer.mjs"), [
          root,
          "shared-exp",
          "shared",
          String(w),
          String(PER_WORKER),
        ]),
      ),
    );
    for (const result of await Promise.all(children))
      expect(result, result.stderr).toMatchObject({ code: 0 });

    const backend = createFileBackend({ root });
    const ref = { experiment: "shared-exp", run: "shared" };
    const run = await backend.getRun(ref);
    expect(Object.keys(run!.params)).toHaveLength(WORKERS * PER_WORKER + 1);
    expect(Object.keys(run!.metrics)).toHaveLength(WORKERS * PER_WORKER);
    for (let w = 0; w < WORKERS; w++) {
      for (let i = 0; i < PER_WORKER; i++) {
        expect(run!.params[`p-${w}-${i}`]).toBe(i);
        expect(run!.metrics[`m-${w}-${i}`]).toBe(-i - 0.5);
      }
    }
    expect(["RUNNING", "COMPLETE"]).toContain(run!.state);

    const points = await readSeriesPoints(backend, ref);
    expect(points).toHaveLength(WORKERS * PER_WORKER * 2);
    for (let w = 0; w < WORKERS; w++) {
      const mine = points.filter((p) => p.metric === `w${w}`).map((p) => p.value);
      expect(mine.sort((a, b) => a - b)).toEqual(Array.from({ length: PER_WORKER }, (_, i) => i));
    }
    const latest = await latestSeriesPoints(backend, ref);
    expect(latest.all).toMatchObject({ step: WORKERS * PER_WORKER - 1, value: WORKERS - 1 });
    const listed = await backend.listRuns("shared-exp", { withLatestTimeSeries: true });
    expect(listed.items.find((r) => r.name === "shared")?.latestTimeSeries?.all).toMatchObject({
      step: WORKERS * PER_WORKER - 1,
    });

    const artifacts = await backend.listArtifacts({ run: ref });
    expect(artifacts.items).toHaveLength(WORKERS * PER_WORKER);
    expect((await backend.listArtifacts()).items).toHaveLength(WORKERS * PER_WORKER);
    const executions = await backend.listExecutions({ run: ref });
    expect(executions.items.map((e) => e.id).sort()).toEqual(
      Array.from({ length: WORKERS }, (_, w) => `exec-${w}`),
    );
    expect(executions.items.every((e) => e.outputArtifacts.length === 1)).toBe(true);
    expect(await backend.listRunChildren(ref)).toHaveLength(WORKERS * PER_WORKER);

    const runs = listed.items.map((r) => r.name).sort();
    expect(runs).toEqual(["shared", ...Array.from({ length: WORKERS }, (_, w) => `own-${w}`)].sort());
    for (let w = 0; w < WORKERS; w++) {
      const own = listed.items.find((r) => r.name === `own-${w}`)!;
      expect(Object.keys(own.params)).toHaveLength(PER_WORKER);
    }
    await backend.close();
    await setup.close();
  }, 120_000);

  it(`of ${WORKERS} processes racing to create one experiment, run or artifact id, exactly one wins`, async () => {
    requireBuilt();
    const root = await tempDir();
    const start = String(Date.now() + 1500);
    const results = await Promise.all(
      Array.from({ length: WORKERS }, () =>
        finished(startNode(fixture("racing-creator.mjs"), [root, start])),
      ),
    );
    const wins = new Map<string, number>();
    for (const result of results) {
      expect(result, result.stderr).toMatchObject({ code: 0 });
      for (const what of JSON.parse(result.stdout) as string[]) wins.set(what, (wins.get(what) ?? 0) + 1);
    }
    expect(wins.get("experiment")).toBe(1);
    for (let i = 0; i < 20; i++) {
      expect(wins.get(`run-${i}`), `run-${i}`).toBe(1);
      expect(wins.get(`artifact-${i}`), `artifact-${i}`).toBe(1);
    }
    const backend = createFileBackend({ root });
    expect((await backend.listRuns("race")).items).toHaveLength(20);
    expect((await backend.listArtifacts()).items).toHaveLength(20);
    await backend.close();
  }, 60_000);
});
