import { describeBackend } from "@exprun/conformance";
import { afterAll } from "vitest";
import { backendOn, createTensorboard, lazyFake } from "./fake.js";

const fake = lazyFake();
let tensorboard: Promise<string> | undefined;

describeBackend("vertex (on @exprun/vertex-fake)", async () => backendOn(await fake.get()), {
  tensorboard: async () => {
    tensorboard ??= fake.get().then((f) => createTensorboard(f));
    return tensorboard;
  },
});

afterAll(() => fake.close());
