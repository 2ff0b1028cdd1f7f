import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { createMemoryBackend } from "@exprun/backend-memory";
import { describe, expect, it } from "vitest";
import { importInto, openTensorBoard } from "../src/index.js";
import { simpleScalars, writeEventFile } from "./generators/tfevents.js";
import { tempDir } from "./helpers.js";

const STEPS = 50_000;
const MEMORY_POINTS = 4096;

// The import of a long series never holds it whole: the reader settles it in sorted blocks of
// `memoryPoints` on disk and the store is written from the merged blocks, chunk by chunk. (Peak RSS
// of a 1M- and a 3M-point file is measured in `pnpm bench` 60-import.)
describe("importing a series longer than memoryPoints", () => {
  it("spills it to temporary blocks while writing, writes every point in order, and removes the blocks", async () => {
    const dir = tempDir();
    const tmp = path.join(tempDir(), "spill");
    mkdirSync(tmp);
    mkdirSync(path.join(dir, "run"));
    const events: Uint8Array[] = [];
    // Written out of order (odd steps first) so that the blocks have to be merged, not concatenated.
    for (const parity of [1, 0]) {
      for (let step = parity; step < STEPS; step += 2) {
        events.push(simpleScalars(1_700_000_000 + step / 100, step, { a: step, b: -step }));
      }
    }
    writeEventFile(path.join(dir, "run", "events.out.tfevents.1"), events);
    const store = createMemoryBackend();
    const seen: string[][] = [];
    const summary = await importInto(
      await openTensorBoard(dir, { experiment: "long", memoryPoints: MEMORY_POINTS, tmpDir: tmp }),
      store,
      { onRun: () => seen.push(readdirSync(tmp).flatMap((d) => readdirSync(path.join(tmp, d)))) },
    );
    expect(summary.written.points).toBe(2 * STEPS);
    // While the run was written its points were on disk, in blocks of at most memoryPoints each.
    expect(seen[0]!.length).toBeGreaterThanOrEqual(Math.floor((2 * STEPS) / MEMORY_POINTS));
    expect(readdirSync(tmp)).toEqual([]);
    let expected = 0;
    for await (const chunk of store.readSeries({ experiment: "long", run: "run" }, { metrics: ["a"] })) {
      for (let i = 0; i < chunk.steps.length; i++) {
        expect(chunk.steps[i]).toBe(expected);
        expect(chunk.values[i]).toBe(expected);
        expected++;
      }
    }
    expect(expected).toBe(STEPS);
    await store.close?.();
  });
});
