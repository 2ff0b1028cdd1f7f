import { Artifact, Experiment, ExperimentRun } from "@exprun/core";
import type { VertexFake } from "@exprun/vertex-fake";
import { v1 } from "@google-cloud/aiplatform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetadataServiceClient, VertexBackend } from "../src/index.js";
import { toBackendError } from "../src/rpc.js";
import { backendOn, lazyFake } from "./fake.js";

// Issue 13.4: only a failure that can go away by waiting may advise retrying; a permanent one names
// the limit it hit, and is not retried.

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
let client: MetadataServiceClient;
/** UpdateContext calls the backend made, counted at the client (an oversized one never reaches the fake's handler). */
let updateCalls = 0;

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: Error & { code?: string }) => error,
  );
}

beforeAll(async () => {
  fake = await fakeHandle.get();
  client = new v1.MetadataServiceClient(fake.clientOptions());
  const counting = new Proxy(client, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "updateContext" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        updateCalls++;
        return value.apply(target, args);
      };
    },
  });
  backend = backendOn(fake, { metadataClient: counting });
  await Experiment.create("limits-exp", { backend });
});
afterAll(async () => {
  await backend?.close?.();
  await client?.close();
  await fakeHandle.close();
});

describe("permanent errors", () => {
  it("a 10 MB param is refused once, names the message limit, and never says retry", async () => {
    const run = await ExperimentRun.create("big-param", { experiment: "limits-exp", backend });
    updateCalls = 0;
    const error = await failure(run.logParams({ notes: "x".repeat(10_000_000) }));
    expect(error.code).toBe("BACKEND");
    expect(error.message).toMatch(
      /^\[exprun\] \[vertex\] UpdateContext \(run\) failed: RESOURCE_EXHAUSTED: /,
    );
    expect(error.message).toMatch(
      /The request is 10,000,\d{3} bytes, over the 4,194,304 bytes message limit/,
    );
    expect(error.message).toMatch(/not transient/);
    expect(error.message).not.toMatch(/retry later/i);
    expect(updateCalls).toBe(1);
  });

  it("metadata over the service's 200 KB is INVALID_ARGUMENT naming the limit, sent once", async () => {
    const run = await ExperimentRun.create("wide-param", { experiment: "limits-exp", backend });
    fake.resetRpcCounts();
    const error = await failure(run.logParams({ notes: "x".repeat(300_000) }));
    expect(error.message).toMatch(
      /INVALID_ARGUMENT: Metadata is too large: \d+ bytes; the limit is 204800 bytes\. /,
    );
    expect(error.message).toMatch(/retrying will not help/);
    expect(error.message).not.toMatch(/retry later/i);
    expect(fake.rpcCounts().UpdateContext).toBe(1);
    expect(await run.getParams()).toEqual({});
  });

  it("a 10,000-character artifact id is refused before any RPC, naming the limit, in a message of bounded length", async () => {
    fake.resetRpcCounts();
    const error = await failure(
      Artifact.create({ backend, id: "a".repeat(10_000), schemaTitle: "system.Dataset" }),
    );
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toMatch(/4-128 lowercase letters/);
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).not.toMatch(/retry later/i);
    expect(fake.rpcCounts()).toEqual({});
  });

  it("the service's own answer to an over-long id names its 128-character limit in a bounded message", () => {
    // What the service (here: the fake) says when an id gets past the client, quoted by the backend.
    const details = `Invalid artifact_id "${"a".repeat(80)}…" (10000 characters): valid characters are /[a-z][0-9]-/, at most 128 characters.`;
    const message = toBackendError(
      "CreateArtifact",
      Object.assign(new Error(details), { code: 3, details }),
    ).message;
    expect(message).toMatch(
      /^\[exprun\] \[vertex\] CreateArtifact failed: INVALID_ARGUMENT: .*at most 128 characters\. /,
    );
    expect(message).toMatch(/retrying will not help/);
    expect(message.length).toBeLessThan(600);
  });

  it("a transient failure past the retry budget still says to retry later", async () => {
    const strict = backendOn(fake, { retry: { maxAttempts: 2, initialDelayMs: 1 } });
    fake.injectFailures({ rate: 1, methods: ["GetContext"], codes: [14] });
    try {
      const error = await failure(strict.getExperiment("limits-exp"));
      expect(error.message).toMatch(/UNAVAILABLE: .*Retry later; transient errors were already retried/);
    } finally {
      fake.injectFailures(null);
      await strict.close?.();
    }
  });
});

describe("which statuses may advise retrying", () => {
  const messageOf = (code: number, details = "refused") =>
    toBackendError("GetContext (run)", Object.assign(new Error(details), { code, details })).message;

  it.each([
    [4, "DEADLINE_EXCEEDED"],
    [8, "RESOURCE_EXHAUSTED"],
    [10, "ABORTED"],
    [14, "UNAVAILABLE"],
  ])("status %i (%s) says retry later", (code, name) => {
    expect(messageOf(code)).toMatch(new RegExp(`${name}: refused\\. Retry later`));
  });

  it.each([
    [3, "INVALID_ARGUMENT"],
    [5, "NOT_FOUND"],
    [6, "ALREADY_EXISTS"],
    [9, "FAILED_PRECONDITION"],
    [11, "OUT_OF_RANGE"],
  ])("status %i (%s) says retrying will not help", (code, name) => {
    const message = messageOf(code);
    expect(message).toMatch(new RegExp(`${name}: refused\\. This is not transient`));
    expect(message).not.toMatch(/retry later/i);
  });

  it("a quota-shaped status that is really a size limit is permanent", () => {
    const message = messageOf(8, "Received message larger than max (5000000 vs 4194304)");
    expect(message).toMatch(/5,000,000 bytes, over the 4,194,304 bytes message limit; this is not transient/);
    expect(message).not.toMatch(/retry later/i);
  });

  it("the service's text is quoted once, without a doubled full stop", () => {
    expect(messageOf(3, "Metadata is too large.")).toMatch(/Metadata is too large\. This is not transient/);
  });
});
