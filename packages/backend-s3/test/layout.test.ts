import { ValidationError } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createS3Backend } from "../src/index.js";
import { BUCKET, SERVERS, uniquePrefix, useTestServer } from "./server.js";

const HOSTILE = ["..", "../x", "a/b", "a/../../b", "/abs", ".hidden", "a\\b", "", "x/", "%2e%2e"];

for (const kind of SERVERS) {
  describe(`layout on ${kind}`, () => {
    const s3 = useTestServer(kind);
    const backend = s3.backend;

    it("writes every object under the prefix, in the documented layout", async () => {
      const prefix = `${uniquePrefix("layout")}/nested`;
      const b = backend(`/${prefix}/`);
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      await b.appendTimeSeries({ experiment: "e", run: "r" }, [
        { step: 1, wallTime: 1, values: { loss: 1 } },
      ]);
      await b.createArtifact({ schemaTitle: "system.Model" });
      await b.createArtifact({ id: "model", schemaTitle: "system.Model" });
      await b.createRun("e", { name: "gone", state: "RUNNING" });
      await b.deleteRun({ experiment: "e", run: "gone" }, { deleteBackingTensorboardRun: false });
      await b.close();
      const keys = await s3.server.keys(prefix.split("/")[0]);
      const v = String.raw`\d{13}-[0-9a-f]{8}-\d{8}`;
      const layout = [
        new RegExp(`^${prefix}/exprun-probe\\.json$`),
        new RegExp(`^${prefix}/experiments/e/experiment\\.json$`),
        new RegExp(
          `^${prefix}/experiments/e/meta/(d/${v}(\\.(r|gone))?|s/${v}|t/${v}|x/${v}\\.gone)\\.json$`,
        ),
        new RegExp(`^${prefix}/experiments/e/claims/\\d{10}(/(r|gone)/\\d{10})?\\.json$`),
        new RegExp(`^${prefix}/resources/claims/artifacts/model\\.json$`),
        new RegExp(`^${prefix}/experiments/e/series/r/${v}/${v}(\\.${v})?\\.bin$`),
        new RegExp(`^${prefix}/resources/meta/[ds]/${v}\\.json$`),
      ];
      expect(keys.length).toBeGreaterThan(3);
      for (const key of keys)
        expect(
          layout.some((re) => re.test(key)),
          key,
        ).toBe(true);
    });

    it("names can never address anything outside the prefix, even when core is bypassed", async () => {
      const prefix = uniquePrefix("escape");
      const b = backend(prefix);
      await b.createExperiment({ name: "e" });
      await b.createRun("e", { name: "r", state: "RUNNING" });
      for (const name of HOSTILE) {
        await expect(b.createExperiment({ name }), name).rejects.toBeInstanceOf(ValidationError);
        await expect(b.getExperiment(name), name).rejects.toBeInstanceOf(ValidationError);
        await expect(b.createRun("e", { name, state: "RUNNING" }), name).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(b.createRun(name, { name: "r", state: "RUNNING" }), name).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(
          b.updateRun({ experiment: name, run: "r" }, { params: { a: 1 } }),
          name,
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(
          b.deleteExperiment(name, { deleteBackingTensorboardRuns: false }),
          name,
        ).rejects.toBeInstanceOf(ValidationError);
      }
      await b.close();
      const everything = await s3.server.keys();
      const outside = everything.filter((key) => !key.startsWith("layout-") && !key.startsWith(`${prefix}/`));
      expect(outside.filter((key) => key.startsWith("escape-"))).toEqual([]);
      expect(everything.filter((key) => key.includes("..") || key.includes("//"))).toEqual([]);
    });

    it("refuses a prefix with dot segments and a missing bucket", () => {
      expect(() => createS3Backend({ bucket: BUCKET, prefix: "a/../b" })).toThrow(ValidationError);
      expect(() => createS3Backend({ bucket: "" })).toThrow(/Missing required option "bucket"/);
    });

    it("two prefixes in one bucket are independent stores, even when one prefix starts with the other", async () => {
      const root = uniquePrefix("indep");
      const stores = [backend(root), backend(`${root}/sub`), backend(`${root}-x`)];
      for (const [i, store] of stores.entries()) {
        await store.createExperiment({ name: "same", description: `store ${i}` });
        await store.createRun("same", { name: "run", state: "RUNNING" });
        await store.updateRun({ experiment: "same", run: "run" }, { params: { store: i } });
        await store.createExperiment({ name: `only-${i}` });
      }
      for (const [i, store] of stores.entries()) {
        expect((await store.getExperiment("same"))?.description).toBe(`store ${i}`);
        expect((await store.getRun({ experiment: "same", run: "run" }))?.params).toEqual({ store: i });
        expect((await store.listExperiments()).items.map((e) => e.name).sort()).toEqual([
          `only-${i}`,
          "same",
        ]);
      }
      await stores[0]?.deleteExperiment("same", { deleteBackingTensorboardRuns: false });
      expect(await stores[1]?.getExperiment("same")).toBeDefined();
      expect(await stores[2]?.getExperiment("same")).toBeDefined();
      for (const store of stores) await store.close();
    });
  });
}
