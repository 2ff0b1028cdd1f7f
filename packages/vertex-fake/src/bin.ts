#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startVertexFake } from "./server.js";

const USAGE = `Usage: exprun-vertex-fake [--host 127.0.0.1] [--port 0] [--project-number 123456789012]

Serves in-memory fakes of the Vertex AI MetadataService and TensorboardService (gRPC, no TLS)
and prints the address. Stop it with Ctrl-C (SIGINT) or SIGTERM.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      "project-number": { type: "string", default: "123456789012" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `[exprun] [vertex-fake] --port must be an integer from 0 to 65535, got "${values.port}".`,
    );
  }
  const fake = await startVertexFake({ host: values.host, port, projectNumber: values["project-number"] });
  console.log(fake.address);
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  console.error(USAGE);
  process.exit(2);
});
