// A `node --import` hook for tests: registers the URI scheme `vertexfake:`, a Vertex store
// (@exprun/backend-vertex, the real client) on the local Vertex fake the test started, whose address
// is in $EXPRUN_TEST_VERTEX ("127.0.0.1:PORT"). The CLI does not depend on @exprun/backend-vertex,
// so it and the gRPC pieces are loaded from the workspace packages that have them.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { registerBackendScheme } from "@exprun/core";

export const PROJECT = "test-project";
export const LOCATION = "us-central1";

const packages = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../packages");
const fromVertex = createRequire(path.join(packages, "backend-vertex", "package.json"));
const load = (spec) => import(pathToFileURL(fromVertex.resolve(spec)).href);

registerBackendScheme("vertexfake", async () => {
  const address = process.env.EXPRUN_TEST_VERTEX;
  if (!address) throw new Error("vertexfake: needs EXPRUN_TEST_VERTEX=host:port of a running Vertex fake");
  const [host, port] = address.split(":");
  const [{ createVertexBackend }, grpc, { OAuth2Client }] = await Promise.all([
    import(pathToFileURL(path.join(packages, "backend-vertex", "dist", "index.js")).href),
    load("@grpc/grpc-js"),
    load("google-auth-library"),
  ]);
  return createVertexBackend({
    project: PROJECT,
    location: LOCATION,
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    authClient: new OAuth2Client(),
    retry: { initialDelayMs: 2, maxDelayMs: 200 },
  });
});
