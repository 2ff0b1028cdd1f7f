import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { codeOf, type Harness, STORE, startHarness } from "./setup.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 30_000);
afterAll(() => h.close());
beforeEach(() => {
  h.fake.reset();
  h.fake.resetRpcCounts();
  h.fake.injectFailures(null);
});

const create = (id: string) =>
  h.metadata.createContext({ parent: STORE, contextId: id, context: { schemaTitle: "system.Experiment" } });

describe("RPC counts", () => {
  it("counts every call by method name, failed ones included, until reset", async () => {
    await create("exp-1");
    await create("exp-2");
    await codeOf(create("exp-1"));
    await h.metadata.getContext({ name: `${STORE}/contexts/exp-1` });
    expect(h.fake.rpcCounts()).toEqual({ CreateContext: 3, GetContext: 1 });
    h.fake.resetRpcCounts();
    expect(h.fake.rpcCounts()).toEqual({});
  });
});

describe("failure injection", () => {
  it("fails about the given share of calls with UNAVAILABLE or RESOURCE_EXHAUSTED", async () => {
    await create("exp-1");
    h.fake.injectFailures({ rate: 0.3, seed: 7 });
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, () => h.metadata.getContext({ name: `${STORE}/contexts/exp-1` })),
    );
    const failed = results.flatMap((r) =>
      r.status === "rejected" ? [(r.reason as { code: number }).code] : [],
    );
    expect(failed.length / results.length).toBeGreaterThan(0.22);
    expect(failed.length / results.length).toBeLessThan(0.38);
    expect(new Set(failed)).toEqual(new Set([status.UNAVAILABLE, status.RESOURCE_EXHAUSTED]));
    expect(h.fake.rpcCounts().GetContext).toBe(400);
  });

  it("fails before any state changes", async () => {
    h.fake.injectFailures({ rate: 1, codes: [status.UNAVAILABLE] });
    expect((await codeOf(create("exp-1"))).code).toBe(status.UNAVAILABLE);
    h.fake.injectFailures(null);
    expect(h.fake.store.listContexts()).toEqual([]);
  });

  it("fails only the named methods, with the same sequence for the same seed", async () => {
    await create("exp-1");
    const run = async () => {
      h.fake.injectFailures({ rate: 0.5, methods: ["GetContext"], seed: 42 });
      const outcome: boolean[] = [];
      for (let i = 0; i < 20; i++) {
        outcome.push(
          await h.metadata.getContext({ name: `${STORE}/contexts/exp-1` }).then(
            () => true,
            () => false,
          ),
        );
      }
      return outcome;
    };
    const first = await run();
    expect(first).toContain(false);
    expect(await run()).toEqual(first);
  });

  it("rejects a rate outside 0..1", () => {
    expect(() => h.fake.injectFailures({ rate: 2 })).toThrow(RangeError);
  });
});

describe("the server", () => {
  it("answers UNIMPLEMENTED for methods the fake does not implement", async () => {
    const error = await codeOf(h.metadata.queryContextLineageSubgraph({ context: `${STORE}/contexts/x` }));
    expect(error.code).toBe(status.UNIMPLEMENTED);
  });

  it("serves finished operations from google.longrunning.Operations for clients that poll", async () => {
    await create("exp-1");
    const [operation] = await h.metadata.deleteContext({ name: `${STORE}/contexts/exp-1` });
    const polled = await h.metadata.checkDeleteContextProgress(operation.name!);
    expect(polled.done).toBe(true);
  });

  it("reports the address it listens on", () => {
    expect(h.fake.address).toBe(`127.0.0.1:${h.fake.port}`);
    expect(h.fake.port).toBeGreaterThan(0);
  });

  it("creates the default metadata store through a finished operation, like Python's first experiment", async () => {
    const parent = "projects/other-project/locations/europe-west4";
    const [operation] = await h.metadata.createMetadataStore({ parent, metadataStoreId: "default" });
    const [store] = await operation.promise();
    expect(store.name).toMatch(/^projects\/\d+\/locations\/europe-west4\/metadataStores\/default$/);
    const [got] = await h.metadata.getMetadataStore({ name: `${parent}/metadataStores/default` });
    expect(got.name).toBe(store.name);
  });
});
