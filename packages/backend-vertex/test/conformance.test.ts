import { describeBackend } from "@exprun/conformance";
import { status } from "@grpc/grpc-js";
import { afterAll } from "vitest";
import { backendOn, createTensorboard, lazyFake } from "./fake.js";

const fake = lazyFake();
let tensorboard: Promise<string> | undefined;

describeBackend("vertex (on @exprun/vertex-fake)", async () => backendOn(await fake.get()), {
  tensorboard: async () => {
    tensorboard ??= fake.get().then((f) => createTensorboard(f));
    return tensorboard;
  },
  // Every backend on the fake shares its one store, as every client of a Vertex project does.
  openSecond: async () => backendOn(await fake.get()),
  childProcess: {
    module: new URL("./conformance-child.mjs", import.meta.url),
    config: async () => {
      const { host, port } = await fake.get();
      return { host, port };
    },
  },
  faults: {
    // TensorBoard writes answer UNAVAILABLE (before the fake changes anything) until restored.
    failWrites: async () => {
      const running = await fake.get();
      running.injectFailures({
        rate: 1,
        methods: [
          "WriteTensorboardRunData",
          "WriteTensorboardExperimentData",
          "BatchCreateTensorboardTimeSeries",
        ],
        codes: [status.UNAVAILABLE],
      });
      return () => running.injectFailures(null);
    },
  },
});

afterAll(() => fake.close());
