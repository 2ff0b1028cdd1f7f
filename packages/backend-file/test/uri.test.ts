import path from "node:path";
import { openBackend } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createFileBackend, FILE_BACKEND_NAME } from "../src/index.js";
import { requireBuilt } from "./children.js";
import { tempDir } from "./helpers.js";

describe("opening the store", () => {
  it("file:<path> URIs open this backend at that path", async () => {
    requireBuilt();
    const root = await tempDir();
    const backend = (await openBackend(`file:${root}`)) as ReturnType<typeof createFileBackend>;
    expect(backend.name).toBe(FILE_BACKEND_NAME);
    expect(backend.root).toBe(root);
    await backend.createExperiment({ name: "via-uri" });
    expect((await createFileBackend({ root }).getExperiment("via-uri"))?.name).toBe("via-uri");
    await backend.close();
  });

  it("defaults to $EXPRUN_HOME, else ./.exprun", async () => {
    const home = await tempDir();
    const saved = process.env.EXPRUN_HOME;
    try {
      process.env.EXPRUN_HOME = home;
      expect(createFileBackend().root).toBe(home);
      delete process.env.EXPRUN_HOME;
      expect(createFileBackend().root).toBe(path.resolve(".exprun"));
      process.env.EXPRUN_HOME = "";
      expect(createFileBackend().root).toBe(path.resolve(".exprun"));
    } finally {
      if (saved === undefined) delete process.env.EXPRUN_HOME;
      else process.env.EXPRUN_HOME = saved;
    }
  });
});
