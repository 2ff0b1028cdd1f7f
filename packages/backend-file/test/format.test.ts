import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createFileBackend, FORMAT_VERSION } from "../src/index.js";
import { openStore } from "../src/store-format.js";
import { tempDir } from "./helpers.js";

describe("layout version", () => {
  it("a new store gets a format marker with the current version", async () => {
    const root = await tempDir();
    const backend = createFileBackend({ root });
    await backend.createExperiment({ name: "e" });
    const marker = JSON.parse(await readFile(path.join(root, "exprun-store.json"), "utf8"));
    expect(marker).toMatchObject({ format: "exprun-file-store", version: FORMAT_VERSION });
    await backend.close();
  });

  it("a store of a newer layout is refused with an upgrade hint", async () => {
    const root = await tempDir();
    await writeFile(
      path.join(root, "exprun-store.json"),
      JSON.stringify({ format: "exprun-file-store", version: 99 }),
    );
    await expect(createFileBackend({ root }).listExperiments()).rejects.toThrow(/layout version 99.*Upgrade/);
  });

  it("an older layout runs each migration once, in order, and records the new version", async () => {
    const root = await tempDir();
    await writeFile(
      path.join(root, "exprun-store.json"),
      JSON.stringify({ format: "exprun-file-store", version: 1 }),
    );
    const calls: number[] = [];
    const migrations = {
      1: async () => void calls.push(1),
      2: async () => void calls.push(2),
    };
    await openStore(root, false, migrations, 3);
    await openStore(root, false, migrations, 3);
    expect(calls).toEqual([1, 2]);
    expect(JSON.parse(await readFile(path.join(root, "exprun-store.json"), "utf8")).version).toBe(3);
  });

  it("a missing migration is a BackendError, not a silent upgrade", async () => {
    const root = await tempDir();
    await writeFile(
      path.join(root, "exprun-store.json"),
      JSON.stringify({ format: "exprun-file-store", version: 1 }),
    );
    await expect(openStore(root, false, {}, 2)).rejects.toThrow(/No migration from layout version 1/);
  });
});
