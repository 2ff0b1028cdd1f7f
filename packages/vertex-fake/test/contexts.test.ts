import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fromStruct, toStruct } from "../src/index.js";
import { codeOf, type Harness, STORE, startHarness } from "./setup.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ projectNumber: "424242" });
}, 30_000);
afterAll(() => h.close());
beforeEach(() => h.fake.reset());

const experiment = (id: string) => ({
  parent: STORE,
  contextId: id,
  context: {
    displayName: id,
    schemaTitle: "system.Experiment",
    schemaVersion: "0.0.1",
    metadata: toStruct({ experiment_deleted: false }),
  },
});

describe("contexts through the real MetadataServiceClient", () => {
  it("creates a context named with the project number, with etag and times", async () => {
    const [created] = await h.metadata.createContext(experiment("exp-one"));
    expect(created.name).toBe(
      "projects/424242/locations/us-central1/metadataStores/default/contexts/exp-one",
    );
    expect(created.etag).toMatch(/^\d+$/);
    expect(Number(created.createTime?.seconds)).toBeGreaterThan(0);
    expect(fromStruct(h.fake.store.getContext(created.name!)?.metadata)).toEqual({
      experiment_deleted: false,
    });
    const [got] = await h.metadata.getContext({ name: `${STORE}/contexts/exp-one` });
    expect(got.schemaTitle).toBe("system.Experiment");
    expect(got.metadata?.fields?.experiment_deleted?.boolValue).toBe(false);
  });

  it("answers ALREADY_EXISTS with the service's message for a taken id", async () => {
    await h.metadata.createContext(experiment("exp-dup"));
    const error = await codeOf(h.metadata.createContext(experiment("exp-dup")));
    expect(error.code).toBe(status.ALREADY_EXISTS);
    expect(error.details).toBe(
      "Context with name projects/424242/locations/us-central1/metadataStores/default/contexts/exp-dup already exists",
    );
  });

  it("generates a UUID id when none is given", async () => {
    const [created] = await h.metadata.createContext({ parent: STORE, context: { displayName: "x" } });
    expect(created.name).toMatch(/\/contexts\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("answers NOT_FOUND for a missing context", async () => {
    const error = await codeOf(h.metadata.getContext({ name: `${STORE}/contexts/nope` }));
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toContain("GetContext is unable to find context resource with name:");
  });

  it("rejects an invalid id with INVALID_ARGUMENT", async () => {
    const error = await codeOf(h.metadata.createContext(experiment("Upper_Case")));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });

  it("stamps create times to the microsecond, strictly increasing: a context deleted and made again gets a later one", async () => {
    const [first] = await h.metadata.createContext(experiment("exp-again"));
    const [operation] = await h.metadata.deleteContext({ name: first.name });
    await operation.promise();
    const [second] = await h.metadata.createContext(experiment("exp-again"));
    const micros = (t: typeof first.createTime) =>
      BigInt(String(t?.seconds)) * 1_000_000n + BigInt((t?.nanos ?? 0) / 1000);
    expect(micros(second.createTime)).toBeGreaterThan(micros(first.createTime));
    expect((second.createTime?.nanos ?? 0) % 1000).toBe(0);
  });

  it("a 10,000-character id is INVALID_ARGUMENT naming the 128-character limit, quoting only its head", async () => {
    const error = await codeOf(h.metadata.createContext(experiment("a".repeat(10_000))));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(
      /^Invalid context_id "a{80}…" \(10000 characters\): .*at most 128 characters\.$/,
    );
    expect(error.details.length).toBeLessThan(250);
  });

  it("metadata over 200 KB is INVALID_ARGUMENT naming the limit", async () => {
    const big = experiment("exp-big");
    big.context.metadata = toStruct({ notes: "x".repeat(210_000) });
    const error = await codeOf(h.metadata.createContext(big));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/^Metadata is too large: \d+ bytes; the limit is 204800 bytes\.$/);
  });

  it("updates with a matching etag and gives a new, larger etag", async () => {
    const [created] = await h.metadata.createContext(experiment("exp-upd"));
    const [updated] = await h.metadata.updateContext({
      context: { ...created, metadata: toStruct({ experiment_deleted: true }) },
    });
    expect(updated.etag).not.toBe(created.etag);
    expect(updated.etag! > created.etag!).toBe(true);
    expect(fromStruct(h.fake.store.getContext(created.name!)?.metadata)).toEqual({
      experiment_deleted: true,
    });
  });

  it("answers ABORTED with the service's etag message for a stale etag", async () => {
    const [created] = await h.metadata.createContext(experiment("exp-etag"));
    const [updated] = await h.metadata.updateContext({ context: { ...created, description: "first" } });
    const error = await codeOf(h.metadata.updateContext({ context: { ...created, description: "second" } }));
    expect(error.code).toBe(status.ABORTED);
    expect(error.details).toBe(
      `Specified Context \`etag\`: \`${created.etag}\` does not match server \`etag\`: \`${updated.etag}\``,
    );
    expect(h.fake.store.getContext(created.name!)?.description).toBe("first");
  });

  it("overwrites blindly when the update carries no etag", async () => {
    const [created] = await h.metadata.createContext(experiment("exp-blind"));
    await h.metadata.updateContext({ context: { ...created, description: "first" } });
    await h.metadata.updateContext({ context: { ...created, etag: "", description: "second" } });
    expect(h.fake.store.getContext(created.name!)?.description).toBe("second");
  });

  it("without update_mask, writes the populated fields and replaces metadata whole", async () => {
    const [created] = await h.metadata.createContext({
      ...experiment("exp-partial"),
      context: { ...experiment("exp-partial").context, metadata: toStruct({ a: 1, b: 2 }) },
    });
    await h.metadata.updateContext({ context: { name: created.name, metadata: toStruct({ b: 3 }) } });
    const stored = h.fake.store.getContext(created.name!)!;
    expect(stored.schemaTitle).toBe("system.Experiment");
    expect(stored.displayName).toBe("exp-partial");
    expect(fromStruct(stored.metadata)).toEqual({ b: 3 });
  });

  it("honours update_mask: only the named fields change", async () => {
    const [created] = await h.metadata.createContext(experiment("exp-mask"));
    await h.metadata.updateContext({
      context: { name: created.name, description: "masked", displayName: "ignored" },
      updateMask: { paths: ["description"] },
    });
    const stored = h.fake.store.getContext(created.name!)!;
    expect(stored.description).toBe("masked");
    expect(stored.displayName).toBe("exp-mask");
  });

  it("creates on update with allow_missing, and answers NOT_FOUND without it", async () => {
    const name = `${STORE}/contexts/exp-missing`;
    expect((await codeOf(h.metadata.updateContext({ context: { name, displayName: "m" } }))).code).toBe(
      status.NOT_FOUND,
    );
    const [created] = await h.metadata.updateContext({
      context: { name, displayName: "m" },
      allowMissing: true,
    });
    expect(created.displayName).toBe("m");
  });

  it("deletes through a finished long-running operation, and unlinks the context from its parents", async () => {
    const [parent] = await h.metadata.createContext(experiment("exp-parent"));
    const [child] = await h.metadata.createContext(experiment("exp-parent-run"));
    await h.metadata.addContextChildren({ context: parent.name, childContexts: [child.name!] });
    expect(h.fake.store.contextChildren(parent.name!)).toEqual([child.name]);
    const [operation] = await h.metadata.deleteContext({ name: child.name });
    await operation.promise();
    expect(operation.done).toBe(true);
    expect(h.fake.store.getContext(child.name!)).toBeUndefined();
    expect(h.fake.store.contextChildren(parent.name!)).toEqual([]);
  });

  it("adds children idempotently and caps parents at 10", async () => {
    const [child] = await h.metadata.createContext(experiment("the-child"));
    const parents: string[] = [];
    for (let i = 0; i < 11; i++) {
      const [p] = await h.metadata.createContext(experiment(`parent-${i}`));
      parents.push(p.name!);
    }
    for (const p of parents.slice(0, 10)) {
      await h.metadata.addContextChildren({ context: p, childContexts: [child.name!] });
    }
    await h.metadata.addContextChildren({ context: parents[0], childContexts: [child.name!] });
    const [got] = await h.metadata.getContext({ name: child.name });
    expect(got.parentContexts).toEqual(parents.slice(0, 10));
    const error = await codeOf(
      h.metadata.addContextChildren({ context: parents[10], childContexts: [child.name!] }),
    );
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });

  it("rejects a cycle of contexts", async () => {
    const [a] = await h.metadata.createContext(experiment("ctx-a"));
    const [b] = await h.metadata.createContext(experiment("ctx-b"));
    await h.metadata.addContextChildren({ context: a.name, childContexts: [b.name!] });
    const error = await codeOf(h.metadata.addContextChildren({ context: b.name, childContexts: [a.name!] }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
  });

  it("serves contexts seeded into the store, reachable by project id or number", async () => {
    h.fake.store.putContext({
      name: `${STORE}/contexts/seeded`,
      schemaTitle: "system.ExperimentRun",
      metadata: toStruct({ _params: { lr: 0.1 }, _metrics: {}, _state: "RUNNING" }),
    });
    const [got] = await h.metadata.getContext({
      name: "projects/424242/locations/us-central1/metadataStores/default/contexts/seeded",
    });
    expect(fromStruct(got.metadata as never)).toEqual({
      _params: { lr: 0.1 },
      _metrics: {},
      _state: "RUNNING",
    });
  });
});
