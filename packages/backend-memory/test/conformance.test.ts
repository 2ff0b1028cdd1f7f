import { describeBackend } from "@exprun/conformance";
import { createMemoryBackend } from "../src/index.js";

describeBackend("memory", () => createMemoryBackend({ pageSize: 100 }));
