import { readSeriesPoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend } from "../src/index.js";
import { finished, fixture, requireBuilt, startNode } from "./children.js";
import { tempDir } from "./helpers.js";

const KILLS = 52;
const PARALLEL = 4;

interface Ack {
  kind: "run" | "param" | "metric" | "series" | "artifact" | "state";
  run: string;
  key?: string;
  value?: number;
  metric?: string;
  through?: number;
  id?: string;
  state?: string;
}

/** Starts a writer and SIGKILLs it a random time after its first acknowledgement. */
async function killOne(root: string, generation: number): Promise<Ack[]> {
  const child = startNode(fixture("crash-writer.mjs"), [root, "crash-exp", "shared", String(generation)]);
  const done = finished(child);
  let killed = false;
  child.stdout!.once("data", () => {
    setTimeout(
      () => {
        killed = child.kill("SIGKILL");
      },
      5 + Math.random() * 250,
    );
  });
  const result = await done;
  if (!killed) throw new Error(`writer ${generation} exited by itself (${result.code}): ${result.stderr}`);
  expect(result.signal).toBe("SIGKILL");
  // Only complete lines are acknowledgements (each is written with one synchronous pipe write).
  return result.stdout
    .split("\n")
    .filter((line) => line.endsWith("}"))
    .map((line) => JSON.parse(line) as Ack);
}

describe("writers killed with SIGKILL at random moments", () => {
  it(`after ${KILLS} kills the store opens, every run reads, and every acknowledged write is there`, async () => {
    requireBuilt();
    const root = await tempDir();
    const setup = createFileBackend({ root });
    await setup.createExperiment({ name: "crash-exp" });
    await setup.createRun("crash-exp", { name: "shared", state: "RUNNING" });
    await setup.close();

    const acks: Ack[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < KILLS) acks.push(...(await killOne(root, next++)));
      }),
    );
    expect(acks.filter((a) => a.kind === "run")).toHaveLength(KILLS);
    expect(acks.filter((a) => a.kind === "param").length).toBeGreaterThan(KILLS);

    const backend = createFileBackend({ root });
    const runs = (await backend.listRuns("crash-exp", { withLatestTimeSeries: true })).items;
    const byName = new Map(runs.map((r) => [r.name, r]));
    for (const run of runs) {
      // every run reads, with its time series
      await readSeriesPoints(backend, { experiment: "crash-exp", run: run.name });
    }
    const seriesByRun = new Map<string, Map<string, Set<number>>>();
    const steps = async (run: string, metric: string) => {
      let metrics = seriesByRun.get(run);
      if (!metrics) {
        metrics = new Map();
        for (const p of await readSeriesPoints(backend, { experiment: "crash-exp", run })) {
          if (!metrics.has(p.metric)) metrics.set(p.metric, new Set());
          metrics.get(p.metric)!.add(p.step);
        }
        seriesByRun.set(run, metrics);
      }
      return metrics.get(metric) ?? new Set<number>();
    };
    const attributed = new Set(
      (await backend.listArtifacts({ run: { experiment: "crash-exp", run: "shared" } })).items.map(
        (a) => a.id,
      ),
    );

    let checked = 0;
    for (const ack of acks) {
      const run = byName.get(ack.run);
      expect(run, `run ${ack.run}`).toBeDefined();
      if (ack.kind === "param") expect(run!.params[ack.key!]).toBe(ack.value);
      if (ack.kind === "metric") expect(run!.metrics[ack.key!]).toBe(ack.value);
      if (ack.kind === "state") expect(run!.state).toBe(ack.state);
      if (ack.kind === "artifact") expect(attributed.has(ack.id!), ack.id).toBe(true);
      if (ack.kind === "series" || ack.kind === "state") {
        const have = await steps(ack.run, ack.metric ?? "loss");
        for (let step = 0; step <= ack.through!; step++)
          expect(have.has(step), `${ack.run} step ${step}`).toBe(true);
      }
      checked++;
    }
    expect(checked).toBe(acks.length);
    await backend.close();
  }, 300_000);
});
