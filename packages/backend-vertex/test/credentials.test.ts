import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";

const dir = mkdtempSync(path.join(tmpdir(), "exprun-vertex-credentials-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  ok?: true;
  name?: string;
  code?: string;
  message?: string;
  cause?: string;
}

/** Runs test/credentials-child.mjs (the built package, as a user's script) with the given cases. */
function runChild(cases: { env?: string; keyFilename?: string }[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env };
    delete env.GOOGLE_APPLICATION_CREDENTIALS;
    execFile(
      process.execPath,
      [new URL("./credentials-child.mjs", import.meta.url).pathname, JSON.stringify(cases)],
      { env, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout, stderr }),
    );
  });
}

// Guards against google-gax's stub creation rethrowing an unreadable credential file in a promise
// nothing handles: `exprun runs list` on vertex:// with GOOGLE_APPLICATION_CREDENTIALS=/nope.json
// ended the process with an unhandled rejection and a raw google-auth-library stack.
it("unreadable credential files are a BackendError naming the file and the fix, never an unhandled rejection", async () => {
  const missing = path.join(dir, "missing.json");
  const notJson = path.join(dir, "not-json.json");
  writeFileSync(
    notJson,
    '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvSECRET',
  );
  const child = await runChild([{ env: missing }, { keyFilename: missing }, { env: notJson }]);
  expect(child.stderr).toBe("");
  expect(child.code).toBe(0);
  const [fromEnv, fromOption, broken] = JSON.parse(child.stdout) as {
    call: Outcome;
    again: Outcome;
    close: Outcome;
  }[];

  expect(fromEnv!.call).toMatchObject({ name: "BackendError", code: "BACKEND" });
  expect(fromEnv!.call.message).toBe(
    `[exprun] [vertex] Could not read the credentials in ${missing}, the file GOOGLE_APPLICATION_CREDENTIALS names: it does not exist. ` +
      "Point GOOGLE_APPLICATION_CREDENTIALS at a service-account key file, or unset it to use the credentials of `gcloud auth application-default login`.",
  );
  // Every call says so (nothing is cached broken), and close() has nothing to fail on.
  expect(fromEnv!.again).toEqual(fromEnv!.call);
  expect(fromEnv!.close).toEqual({ ok: true });

  expect(fromOption!.call).toMatchObject({ name: "BackendError", code: "BACKEND" });
  expect(fromOption!.call.message).toBe(
    `[exprun] [vertex] Could not read the credentials in ${missing}, the keyFilename option: it does not exist. ` +
      "Give the path of a service-account key file, or pass credentials or authClient instead.",
  );
  expect(fromOption!.close).toEqual({ ok: true });

  expect(broken!.call).toMatchObject({ name: "BackendError", code: "BACKEND" });
  expect(broken!.call.message).toContain(
    `[exprun] [vertex] Could not read the credentials in ${notJson}, the file GOOGLE_APPLICATION_CREDENTIALS names: it is not a JSON key file.`,
  );
  // The parser's message quotes the file's text; none of it reaches the error or its cause.
  expect(JSON.stringify(broken)).not.toContain("SECRET");
  expect(broken!.close).toEqual({ ok: true });
});
