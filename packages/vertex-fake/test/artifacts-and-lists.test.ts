import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { toStruct } from "../src/index.js";
import { codeOf, type Harness, STORE, startHarness } from "./setup.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 30_000);
afterAll(() => h.close());
beforeEach(() => h.fake.reset());

async function context(id: string, schemaTitle: string, displayName = id) {
  const [created] = await h.metadata.createContext({
    parent: STORE,
    contextId: id,
    context: { displayName, schemaTitle, schemaVersion: "0.0.1" },
  });
  return created.name!;
}

async function listAllContexts(filter: string, pageSize?: number) {
  const [contexts] = await h.metadata.listContexts(
    { parent: STORE, filter, pageSize },
    { autoPaginate: true },
  );
  return contexts.map((c) => c.displayName);
}

describe("artifacts", () => {
  it("creates, reads, updates and deletes an artifact through a finished operation", async () => {
    const [created] = await h.metadata.createArtifact({
      parent: STORE,
      artifactId: "exp-run-tb-run",
      artifact: {
        schemaTitle: "google.VertexTensorboardRun",
        schemaVersion: "0.0.1",
        state: "LIVE",
        metadata: toStruct({ resourceName: "x", vertex_experiment_tracking: true }),
      },
    });
    expect(created.state).toBe("LIVE");
    const [got] = await h.metadata.getArtifact({ name: created.name });
    expect(got.metadata?.fields?.vertex_experiment_tracking?.boolValue).toBe(true);
    const [updated] = await h.metadata.updateArtifact({ artifact: { ...got, displayName: "renamed" } });
    expect(updated.displayName).toBe("renamed");
    const [operation] = await h.metadata.deleteArtifact({ name: created.name });
    await operation.promise();
    expect((await codeOf(h.metadata.getArtifact({ name: created.name }))).code).toBe(status.NOT_FOUND);
  });

  it("answers ALREADY_EXISTS for a taken artifact id", async () => {
    const request = { parent: STORE, artifactId: "same-id", artifact: { schemaTitle: "system.Artifact" } };
    await h.metadata.createArtifact(request);
    const error = await codeOf(h.metadata.createArtifact(request));
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect(error.details).toContain("Artifact with name");
  });

  it("lists the artifacts attributed to a context with in_context, and attribution is idempotent", async () => {
    const run = await context("exp-run", "system.ExperimentRun");
    const names: string[] = [];
    for (const title of ["google.ClassificationMetrics", "google.ClassificationMetrics", "system.Artifact"]) {
      const [a] = await h.metadata.createArtifact({ parent: STORE, artifact: { schemaTitle: title } });
      names.push(a.name!);
    }
    await h.metadata.createArtifact({
      parent: STORE,
      artifact: { schemaTitle: "google.ClassificationMetrics" },
    });
    await h.metadata.addContextArtifactsAndExecutions({ context: run, artifacts: names });
    await h.metadata.addContextArtifactsAndExecutions({ context: run, artifacts: names.slice(0, 1) });
    expect(h.fake.store.contextArtifacts(run)).toEqual(names);
    const [found] = await h.metadata.listArtifacts({
      parent: STORE,
      filter: `schema_title="google.ClassificationMetrics" AND in_context("${run}")`,
    });
    expect(found.map((a) => a.name)).toEqual(names.slice(0, 2));
  });

  it("refuses to attribute an artifact that does not exist", async () => {
    const run = await context("exp-run", "system.ExperimentRun");
    const error = await codeOf(
      h.metadata.addContextArtifactsAndExecutions({ context: run, artifacts: [`${STORE}/artifacts/none`] }),
    );
    expect(error.code).toBe(status.NOT_FOUND);
  });
});

describe("list filters (AIP-160 subset)", () => {
  it("filters runs of an experiment by schema_title AND parent_contexts", async () => {
    const exp = await context("exp", "system.Experiment");
    const other = await context("other", "system.Experiment");
    const runs = [
      await context("exp-a", "system.ExperimentRun", "a"),
      await context("exp-b", "system.PipelineRun", "b"),
    ];
    const stray = await context("other-c", "system.ExperimentRun", "c");
    await h.metadata.addContextChildren({ context: exp, childContexts: runs });
    await h.metadata.addContextChildren({ context: other, childContexts: [stray] });
    expect(await listAllContexts(`schema_title="system.ExperimentRun" AND parent_contexts:"${exp}"`)).toEqual(
      ["a"],
    );
    expect(
      await listAllContexts(
        `(schema_title="system.ExperimentRun" OR schema_title="system.PipelineRun") AND parent_contexts:"${exp}"`,
      ),
    ).toEqual(["a", "b"]);
    // The experiment's name with the project id matches too.
    expect(await listAllContexts(`parent_contexts:"${STORE}/contexts/other"`)).toEqual(["c"]);
    expect(await listAllContexts(`child_contexts:"${stray}"`)).toEqual(["other"]);
  });

  it("filters by display_name, metadata values and NOT", async () => {
    for (const [id, state] of [
      ["r-1", "RUNNING"],
      ["r-2", "COMPLETE"],
      ["r-3", "RUNNING"],
    ] as const) {
      await h.metadata.createContext({
        parent: STORE,
        contextId: id,
        context: {
          displayName: id,
          schemaTitle: "system.ExperimentRun",
          metadata: toStruct({ _state: state, n: 1 }),
        },
      });
    }
    expect(await listAllContexts(`display_name="r-2"`)).toEqual(["r-2"]);
    expect(await listAllContexts(`metadata._state.string_value="RUNNING"`)).toEqual(["r-1", "r-3"]);
    expect(await listAllContexts(`metadata.n.number_value>=1 AND NOT display_name="r-1"`)).toEqual([
      "r-2",
      "r-3",
    ]);
  });

  it("rejects unknown fields and broken syntax with INVALID_ARGUMENT", async () => {
    for (const filter of ['colour="red"', 'schema_title="x" AND', 'schema_title=="x"', 'in_context("x")']) {
      const error = await codeOf(h.metadata.listContexts({ parent: STORE, filter }));
      expect(error.code, filter).toBe(status.INVALID_ARGUMENT);
    }
  });
});

describe("pagination", () => {
  it("pages 250 contexts in creation order, 100 per page by default", async () => {
    for (let i = 0; i < 250; i++) {
      h.fake.store.putContext({
        name: `${STORE}/contexts/ctx-${i}`,
        displayName: `ctx-${i}`,
        schemaTitle: "t",
      });
    }
    const [first, , response] = await h.metadata.listContexts({ parent: STORE }, { autoPaginate: false });
    expect(first).toHaveLength(100);
    expect(response?.nextPageToken).toBeTruthy();
    h.fake.resetRpcCounts();
    const all = await listAllContexts('schema_title="t"');
    expect(all).toEqual(Array.from({ length: 250 }, (_, i) => `ctx-${i}`));
    expect(h.fake.rpcCounts().ListContexts).toBe(3);
    expect(await listAllContexts('schema_title="t"', 1000)).toHaveLength(250);
    expect(h.fake.rpcCounts().ListContexts).toBe(4);
  });

  it("orders by order_by when given, by creation otherwise", async () => {
    for (const id of ["bb", "cc", "aa"]) {
      h.fake.store.putContext({ name: `${STORE}/contexts/${id}-ctx`, displayName: id });
    }
    expect(await listAllContexts("")).toEqual(["bb", "cc", "aa"]);
    const [sorted] = await h.metadata.listContexts({ parent: STORE, orderBy: "display_name desc" });
    expect(sorted.map((c) => c.displayName)).toEqual(["cc", "bb", "aa"]);
    const error = await codeOf(h.metadata.listContexts({ parent: STORE, orderBy: "colour" }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });

  it("rejects a page token used with another filter", async () => {
    for (let i = 0; i < 3; i++)
      h.fake.store.putContext({ name: `${STORE}/contexts/p-${i}`, schemaTitle: "t" });
    const [, , response] = await h.metadata.listContexts(
      { parent: STORE, pageSize: 1 },
      { autoPaginate: false },
    );
    const error = await codeOf(
      h.metadata.listContexts(
        { parent: STORE, pageSize: 1, pageToken: response!.nextPageToken!, filter: 'schema_title="t"' },
        { autoPaginate: false },
      ),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });
});
