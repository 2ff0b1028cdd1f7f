import { Console } from "node:console";
import { PassThrough } from "node:stream";
import { format, inspect } from "node:util";
import { Experiment, ExperimentRun } from "@exprun/core";
import type { VertexFake } from "@exprun/vertex-fake";
import { v1 } from "@google-cloud/aiplatform";
import { JWT } from "google-auth-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createVertexBackend,
  type MetadataServiceClient,
  type TensorboardServiceClient,
  type VertexBackend,
  VertexCredentials,
} from "../src/index.js";
import { LOCATION, lazyFake, PROJECT } from "./fake.js";

// Issue 13.5: printing a backend, or a run that holds it, never prints a service-account key.

const KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7-secret-key-body";
const PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const SERVICE_ACCOUNT = {
  client_email: "trainer@my-project.iam.gserviceaccount.com",
  private_key: PRIVATE_KEY,
};

const fakeHandle = lazyFake();
let fake: VertexFake;
let backend: VertexBackend;
let run: ExperimentRun;
let metadataClient: MetadataServiceClient;
let tensorboardClient: TensorboardServiceClient;

/** Everything a user might print an object with. */
function printed(value: unknown): string[] {
  const out = new PassThrough();
  let logged = "";
  out.on("data", (chunk: Buffer) => {
    logged += chunk.toString();
  });
  new Console({ stdout: out, stderr: out }).log(value);
  new Console({ stdout: out, stderr: out }).dir(value, { depth: null, showHidden: true });
  return [
    logged,
    inspect(value),
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    format("%o %O %j", value, value, value),
    JSON.stringify(value) ?? "",
  ];
}

beforeAll(async () => {
  fake = await fakeHandle.get();
  // Service-account credentials; the clients talk to the fake in plain text, so the key is held, never used.
  metadataClient = new v1.MetadataServiceClient(fake.clientOptions());
  tensorboardClient = new v1.TensorboardServiceClient(fake.clientOptions());
  backend = createVertexBackend({
    project: PROJECT,
    location: LOCATION,
    metadataClient,
    tensorboardClient,
    credentials: SERVICE_ACCOUNT,
  });
  await Experiment.create("secrets-exp", { backend });
  run = await ExperimentRun.create("secrets-run", { experiment: "secrets-exp", backend });
});
afterAll(async () => {
  await backend?.close?.();
  await metadataClient?.close();
  await tensorboardClient?.close();
  await fakeHandle.close();
});

describe("credentials never print", () => {
  it("the run's credentials are the service account's, usable but printed without the key", async () => {
    const credentials = run.credentials as VertexCredentials;
    expect(credentials).toBeInstanceOf(VertexCredentials);
    expect(credentials).toBe(backend.credentials);
    expect(credentials.email).toBe(SERVICE_ACCOUNT.client_email);
    // The auth client itself is handed out on request: it signs with the service account's key.
    const client = (await credentials.getClient()) as unknown as { email?: string; key?: string };
    expect(client.email).toBe(SERVICE_ACCOUNT.client_email);
    expect(client.key).toBe(PRIVATE_KEY);
    for (const text of printed(run.credentials)) {
      expect(text).not.toContain(KEY_BODY);
      expect(text).not.toContain("BEGIN PRIVATE KEY");
    }
    expect(inspect(run.credentials)).toMatch(/trainer@my-project\.iam\.gserviceaccount\.com/);
  });

  it("console.log(run) and util.inspect(run) show no private key", () => {
    for (const text of printed(run)) expect(text).not.toContain(KEY_BODY);
    expect(inspect(run)).toMatch(/secrets-run/);
  });

  it("console.log(backend) and JSON.stringify(backend) show the store and the kind of credentials, no key", async () => {
    for (const text of printed(backend)) expect(text).not.toContain(KEY_BODY);
    expect(inspect(backend)).toContain(
      "[VertexCredentials client_email=trainer@my-project.iam.gserviceaccount.com]",
    );
    expect(JSON.parse(JSON.stringify(backend))).toMatchObject({ name: "vertex" });
  });

  it("a run on a backend for the real endpoint, built from a key file's contents, prints without the key", async () => {
    const real = createVertexBackend({ project: PROJECT, location: LOCATION, credentials: SERVICE_ACCOUNT });
    try {
      // The run holds the backend and its credentials; building one needs no RPC.
      const offline = new ExperimentRun(real, {
        experiment: "secrets-exp",
        name: "offline",
        incarnation: "1",
        tags: {},
        description: "",
        runType: "system.ExperimentRun",
        state: "RUNNING",
        params: {},
        metrics: {},
        createTime: 0,
        updateTime: 0,
      });
      expect(offline.credentials).toBe(real.credentials);
      for (const text of printed(offline)) expect(text).not.toContain(KEY_BODY);
      for (const text of printed(real)) expect(text).not.toContain(KEY_BODY);
    } finally {
      await real.close?.();
    }
  });

  it("an auth client given by the caller (a JWT with its key) prints without the key too", async () => {
    const jwt = new JWT({ email: SERVICE_ACCOUNT.client_email, key: PRIVATE_KEY, scopes: ["x"] });
    const other = createVertexBackend({ project: PROJECT, location: LOCATION, authClient: jwt });
    try {
      expect(await other.credentials?.getClient()).toBe(jwt);
      for (const text of printed(other)) expect(text).not.toContain(KEY_BODY);
      for (const text of printed(other.credentials)) expect(text).not.toContain(KEY_BODY);
    } finally {
      await other.close?.();
    }
  });
});
