// Opens the Vertex store on the test's fake in a child process of the conformance suite
// (options.childProcess), from the built package, through the real client as a user's worker would.
import { credentials } from "@grpc/grpc-js";
import { OAuth2Client } from "google-auth-library";
import { createVertexBackend } from "../dist/index.js";

export const openBackend = ({ host, port }) =>
  createVertexBackend({
    project: "test-project",
    location: "us-central1",
    apiEndpoint: host,
    port,
    sslCreds: credentials.createInsecure(),
    authClient: new OAuth2Client(),
    retry: { initialDelayMs: 2, maxDelayMs: 200 },
  });
