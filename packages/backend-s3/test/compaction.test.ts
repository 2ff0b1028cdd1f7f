import { NotFoundError } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { uniquePrefix, useTestServer } from "./server.js";

const s3 = useTestServer("s3rver", { compactThreshold: 2 });
const backend = s3.backend;

describe("compaction", () => {
  it("racing compactors never lose a delta", async () => {
    const prefix = uniquePrefix("compact");
    const setup = backend(prefix);
    await setup.createExperiment({ name: "e" });
    await setup.createRun("e", { name: "r", state: "RUNNING" });
    await setup.close();
    const ref = { experiment: "e", run: "r" };
    const writers = Array.from({ length: 4 }, () => backend(prefix));
    await Promise.all(
      writers.map(async (b, w) => {
        await b.getRun(ref);
        for (let k = 0; k < 12; k++) {
          await b.updateRun(ref, { params: { [`p-${w}-${k}`]: k } });
          await b.compact();
        }
      }),
    );
    const reader = backend(prefix);
    expect(Object.keys((await reader.getRun(ref))?.params ?? {})).toHaveLength(48);
    const meta = await s3.server.keys(`${prefix}/experiments/e/meta/`);
    expect(meta.length).toBeLessThanOrEqual(8);
    for (const b of [...writers, reader]) await b.close();
  });

  it("a late write to a deleted run rejects and does not bring it back", async () => {
    const prefix = uniquePrefix("late");
    const a = backend(prefix);
    const b = backend(prefix);
    await a.createExperiment({ name: "e" });
    await a.createRun("e", { name: "r", state: "RUNNING" });
    await b.getRun({ experiment: "e", run: "r" });
    await a.deleteRun({ experiment: "e", run: "r" }, { deleteBackingTensorboardRun: false });
    // b still believes the run exists and writes to it.
    await expect(
      b.updateRun({ experiment: "e", run: "r" }, { params: { late: true } }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const reader = backend(prefix);
    expect(await reader.getRun({ experiment: "e", run: "r" })).toBeUndefined();
    expect((await reader.listRuns("e")).items).toEqual([]);
    await reader.createRun("e", { name: "r", state: "NEW" });
    expect((await reader.getRun({ experiment: "e", run: "r" }))?.params).toEqual({});
    for (const x of [a, b, reader]) await x.close();
  });

  it("experiments are listed in name order across pages", async () => {
    const b = backend(uniquePrefix("names"));
    for (const name of ["a", "a-b", "b", "a0"]) await b.createExperiment({ name });
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await b.listExperiments({ pageSize: 1, pageToken });
      seen.push(...page.items.map((e) => e.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(["a", "a-b", "a0", "b"]);
    await b.close();
  });
});
