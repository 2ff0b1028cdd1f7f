import { startVertexFake, type VertexFake } from "@exprun/vertex-fake";
import { v1 } from "@google-cloud/aiplatform";
import { createVertexBackend, type VertexBackend, type VertexBackendOptions } from "../src/index.js";

export const PROJECT = "test-project";
export const LOCATION = "us-central1";

/** A backend on the fake, with short backoffs so that retried faults do not slow the tests. */
export function backendOn(fake: VertexFake, options: Partial<VertexBackendOptions> = {}): VertexBackend {
  return createVertexBackend({
    project: PROJECT,
    location: LOCATION,
    ...fake.clientOptions(),
    retry: { initialDelayMs: 2, maxDelayMs: 200 },
    ...options,
  });
}

/** Creates a TensorBoard in the fake through the real client, as a user would on Vertex. */
export async function createTensorboard(fake: VertexFake, displayName = "tb"): Promise<string> {
  const client = new v1.TensorboardServiceClient(fake.clientOptions());
  try {
    const [operation] = await client.createTensorboard({
      parent: `projects/${PROJECT}/locations/${LOCATION}`,
      tensorboard: { displayName },
    });
    const [tensorboard] = await operation.promise();
    return tensorboard.name ?? "";
  } finally {
    await client.close();
  }
}

/** One fake per test file, started on first use. */
export function lazyFake(): { get(): Promise<VertexFake>; close(): Promise<void> } {
  let started: Promise<VertexFake> | undefined;
  return {
    get: () => {
      started ??= startVertexFake({ port: 0 });
      return started;
    },
    close: async () => {
      if (started) await (await started).close();
    },
  };
}
