import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { v1 } from "@google-cloud/aiplatform";
import { credentials } from "@grpc/grpc-js";
import { OAuth2Client } from "google-auth-library";
import { afterEach, describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

function start(args: string[]): Promise<string> {
  if (!existsSync(bin))
    throw new Error("dist/bin.js is missing: run `pnpm --filter @exprun/vertex-fake build` first.");
  child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.once("line", resolve);
    child!.once("exit", (code) => reject(new Error(`exprun-vertex-fake exited with ${code}`)));
  });
}

describe("exprun-vertex-fake (bin)", () => {
  it("prints its address, serves the real client, and stops on SIGTERM", async () => {
    const address = await start(["--host", "127.0.0.1", "--port", "0", "--project-number", "99"]);
    const [host, port] = address.split(":");
    expect(host).toBe("127.0.0.1");
    const client = new v1.MetadataServiceClient({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: credentials.createInsecure(),
      authClient: new OAuth2Client() as never,
    });
    const [context] = await client.createContext({
      parent: "projects/p/locations/us-central1/metadataStores/default",
      contextId: "from-bin",
      context: { schemaTitle: "system.Experiment" },
    });
    expect(context.name).toBe("projects/99/locations/us-central1/metadataStores/default/contexts/from-bin");
    await client.close();
    const exited = new Promise<number | null>((resolve) => child!.once("exit", resolve));
    child!.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 30_000);

  it("refuses a port that is not a number, with exit code 2", async () => {
    await expect(start(["--port", "eighty"])).rejects.toThrow("exited with 2");
  });
});
