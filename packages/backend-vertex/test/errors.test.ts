import { openBackend } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { createVertexBackend } from "../src/index.js";
import { toBackendError } from "../src/rpc.js";

describe("errors", () => {
  it("a transport error keeps its cause but its message carries no token or private key", () => {
    const cause = Object.assign(
      new Error(
        'Request failed. authorization: Bearer ya29.a0AfH6SMBsecret "private_key": "-----BEGIN PRIVATE KEY-----abc-----END PRIVATE KEY-----"',
      ),
      { code: 16 },
    );
    const error = toBackendError("GetContext (run)", cause);
    expect(error.message).toMatch(/^\[exprun\] \[vertex\] GetContext \(run\) failed: UNAUTHENTICATED: /);
    expect(error.message).not.toMatch(/SMBsecret|-----BEGIN PRIVATE KEY-----abc/);
    expect(error.message).toMatch(/Check the credentials/);
    expect((error as Error & { cause?: unknown }).cause).toBe(cause);
  });

  it("missing project or location is a VALIDATION error naming the option", () => {
    expect(() => createVertexBackend({ project: "", location: "us-central1" })).toThrow(
      /Missing required option "project"/,
    );
    expect(() => createVertexBackend({ project: "p", location: "" })).toThrow(
      /Missing required option "location"/,
    );
  });

  it("vertex://project/location opens this backend through core's openBackend", async () => {
    const backend = await openBackend("vertex://uri-project/asia-northeast1");
    expect(backend.name).toBe("vertex");
    expect(backend.project).toBe("uri-project");
    expect(backend.location).toBe("asia-northeast1");
    await backend.close?.();
  });

  it("the backend declares Vertex's capabilities and its project and location", async () => {
    const backend = createVertexBackend({
      project: "my-project",
      location: "europe-west4",
      keyFilename: "/nonexistent.json",
    });
    expect(backend.name).toBe("vertex");
    expect(backend.project).toBe("my-project");
    expect(backend.location).toBe("europe-west4");
    expect(backend.capabilities).toEqual({
      nonFiniteValues: false,
      requiresTensorboard: true,
      bufferedTimeSeries: true,
      multiProcess: true,
      keepsTimes: false,
      tagsAsLabels: true,
    });
    await backend.close?.();
  });
});
