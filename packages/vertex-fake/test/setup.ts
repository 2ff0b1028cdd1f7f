import { v1 } from "@google-cloud/aiplatform";
import { startVertexFake, type VertexFake, type VertexFakeOptions } from "../src/index.js";

export const PROJECT = "my-project";
export const LOCATION = "us-central1";
export const STORE = `projects/${PROJECT}/locations/${LOCATION}/metadataStores/default`;

export interface Harness {
  fake: VertexFake;
  metadata: InstanceType<typeof v1.MetadataServiceClient>;
  tensorboard: InstanceType<typeof v1.TensorboardServiceClient>;
  close(): Promise<void>;
}

/** A fake and the real GAPIC clients pointed at it. */
export async function startHarness(options: VertexFakeOptions = {}): Promise<Harness> {
  const fake = await startVertexFake(options);
  const metadata = new v1.MetadataServiceClient(fake.clientOptions());
  const tensorboard = new v1.TensorboardServiceClient(fake.clientOptions());
  return {
    fake,
    metadata,
    tensorboard,
    close: async () => {
      await metadata.close();
      await tensorboard.close();
      await fake.close();
    },
  };
}

/** The gRPC status code of a rejected call. */
export async function codeOf(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code: number; details: string };
    return { code: e.code, details: e.details };
  }
  throw new Error("expected the call to fail");
}
