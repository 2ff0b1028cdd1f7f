import { inspect } from "node:util";
import { createMemoryBackend } from "@exprun/backend-memory";
import { describe, expect, it } from "vitest";
import {
  BackendError,
  checkBackend,
  describeCredentials,
  Experiment,
  ExperimentRun,
  openBackend,
  parseBackendUri,
  protectCredentials,
  redactSecrets,
} from "../src/index.js";

describe("redactSecrets", () => {
  // Each case: the exact output, so a pattern that eats a neighbouring word fails here.
  const cases: [string, string][] = [
    [
      // Guards against: "InvalidAccessKeyId: [redacted] AWS Access Key Id…" (an error code taken for a field).
      "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.",
      "InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.",
    ],
    [
      "request failed: Authorization: Bearer ya29.a0AfH6SMBx-token_123 and then more words",
      "request failed: Authorization: Bearer [redacted] and then more words",
    ],
    [
      // Guards against: an S3-compatible server echoing the request's headers in a 403 body.
      "<Error><Code>AccessDenied</Code><Authorization>AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024</Authorization><x-amz-security-token>FwoGZXIvYXdzEBYaDH+abc/def==</x-amz-security-token></Error>",
      "<Error><Code>AccessDenied</Code><Authorization>AWS4-HMAC-SHA256 [redacted], SignedHeaders=host;x-amz-date, Signature=[redacted]</Authorization><x-amz-security-token>[redacted]</x-amz-security-token></Error>",
    ],
    [
      "GET https://bkt.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj&X-Amz-Signature=abc123 403",
      "GET https://bkt.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[redacted]&X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted] 403",
    ],
    [
      "signed with Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, then refused",
      "signed with Credential=[redacted], then refused",
    ],
    [
      '{"aws_session_token":"IQoJb3JpZ2luX2VjEJr","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","region":"us-east-1"}',
      '{"aws_session_token":"[redacted]","secretAccessKey":"[redacted]","region":"us-east-1"}',
    ],
    [
      'credentials {"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n","client_email":"sa@p.iam.gserviceaccount.com"}',
      'credentials {"type":"service_account","private_key":"[redacted]","client_email":"sa@p.iam.gserviceaccount.com"}',
    ],
    [
      "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc+/=\n-----END RSA PRIVATE KEY----- trailing words",
      "key: -----BEGIN RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY----- trailing words",
    ],
    ["truncated -----BEGIN PRIVATE KEY-----MIIEvQIBADAN", "truncated -----BEGIN PRIVATE KEY-----[redacted]"],
    ["Bearer token expired, please sign in again", "Bearer token expired, please sign in again"],
    ["aws_secret_access_key = wJalrXUtnFEMI/K7MDENG then ok", "aws_secret_access_key = [redacted] then ok"],
    ["<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>", "<AWSAccessKeyId>[redacted]</AWSAccessKeyId>"],
    ["key id AKIAIOSFODNN7EXAMPLE in use", "key id [redacted] in use"],
    ["authorization header is missing", "authorization header is missing"],
    // Guards against: Google user credentials (gcloud's application-default login) and URL passwords printed.
    [
      '{"client_id":"123.apps.googleusercontent.com","client_secret":"GOCSPX-abc_1","refresh_token":"1//0gAbC-d","type":"authorized_user"}',
      '{"client_id":"123.apps.googleusercontent.com","client_secret":"[redacted]","refresh_token":"[redacted]","type":"authorized_user"}',
    ],
    ['{"id_token":"eyJhbGciOi.eyJzdWIi.sig"} ok', '{"id_token":"[redacted]"} ok'],
    [
      "connect https://admin:hunter2@minio.local:9000/bkt failed",
      "connect https://admin:[redacted]@minio.local:9000/bkt failed",
    ],
    [
      'login with password=hunter2 or "passwd": "x1" refused',
      'login with password=[redacted] or "passwd": "[redacted]" refused',
    ],
    [
      "password: the one you set, and user@host.com mailto:a@b",
      "password: the one you set, and user@host.com mailto:a@b",
    ],
    ["tests pass=3 fail=0 at s3://bkt/p", "tests pass=3 fail=0 at s3://bkt/p"],
    [
      "<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><SignatureProvided>fe5f80f77d5f</SignatureProvided>",
      "<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><SignatureProvided>[redacted]</SignatureProvided>",
    ],
  ];
  for (const [input, output] of cases) {
    it(`redacts exactly: ${input.slice(0, 60)}`, () => {
      expect(redactSecrets(input)).toBe(output);
    });
  }

  it("a BackendError redacts its message, its stack and its cause chain", () => {
    const root = new Error("echo: x-amz-security-token: FwoGZXIvYXdzEBYa");
    const middle = new Error("Authorization: Bearer abc.def.ghi", { cause: root });
    const error = new BackendError("GET failed: Authorization: AWS4-HMAC-SHA256 Credential=AKIA/1/2", {
      backend: "s3",
      cause: middle,
    });
    const printed = inspect(error, { depth: 10 });
    expect(printed).not.toMatch(/FwoGZXIvYXdzEBYa|abc\.def\.ghi|AKIA\/1\/2/);
    expect(error.message).toBe("[exprun] [s3] GET failed: Authorization: AWS4-HMAC-SHA256 [redacted]");
    expect(root.message).toBe("echo: x-amz-security-token: [redacted]");
  });
});

describe("credentials in URIs", () => {
  // Guards against: `exprun runs list -b "s3://AKID:SECRET@bkt/p"` printing both in the error.
  it("a URI with user:secret@ is refused, and the message shows it without them", async () => {
    for (const uri of ["s3://AKID:SECRET@bkt/p", "s3://AKID@bkt/p?region=eu-west-1"]) {
      const error = (await openBackend(uri).catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ code: "VALIDATION" });
      expect(error.message).toContain('"s3://bkt/p"');
      expect(error.message).not.toMatch(/AKID|:SECRET/);
      expect(() => parseBackendUri(uri)).toThrowError(/credentials before "@"/);
    }
  });
});

describe("what printing shows of credentials", () => {
  class GoogleAuth {
    // Shaped like google-auth-library's GoogleAuth: the parsed key file and a private field.
    jsonContent = {
      type: "service_account",
      client_email: "trainer@my-project.iam.gserviceaccount.com",
      private_key: "-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n",
    };
    #pending = null;
    pending() {
      return this.#pending;
    }
  }

  it("describeCredentials names the kind and the identity, never key material", () => {
    expect(describeCredentials(new GoogleAuth())).toBe(
      "[GoogleAuth service_account client_email=trainer@my-project.iam.gserviceaccount.com]",
    );
    expect(describeCredentials({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalr" })).toBe(
      "[aws accessKeyId=AKIA…MPLE]",
    );
    expect(describeCredentials(undefined)).toBe("[none]");
    expect(describeCredentials("ya29.token")).toBe("[string credential, 10 characters]");
  });

  // Guards against: util.inspect(run) of a Vertex-backed run printing the service account's private key.
  it("util.inspect and JSON of a run, its credentials, its experiment and its backend show the kind only", async () => {
    const credentials = new GoogleAuth();
    const memory = createMemoryBackend();
    const backend = checkBackend({ ...memory, close: undefined, credentials });
    const run = await ExperimentRun.create("r", { experiment: "exp1", backend });
    const experiment = await Experiment.get("exp1", { backend });
    for (const shown of [
      inspect(run, { depth: 10 }),
      inspect(run.credentials, { depth: 10 }),
      JSON.stringify(run.credentials),
      JSON.stringify(run),
      inspect(experiment, { depth: 10 }),
      inspect(backend, { depth: 10 }),
      JSON.stringify(backend),
      inspect({ nested: { run } }, { depth: 10 }),
    ]) {
      expect(shown).not.toContain("SECRETKEYMATERIAL");
      expect(shown).not.toContain("PRIVATE KEY");
    }
    expect(inspect(run)).toContain(
      "[GoogleAuth service_account client_email=trainer@my-project.iam.gserviceaccount.com]",
    );
    // The credential object itself still works: its methods and private fields are untouched.
    expect((run.credentials as GoogleAuth).pending()).toBeNull();
    expect(protectCredentials(credentials)).toBe(credentials);
  });
});
