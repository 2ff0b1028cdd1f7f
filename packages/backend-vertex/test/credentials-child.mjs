// A user's script with broken credentials, from the built package (credentials.test.ts runs it):
// for each case it sets the credentials, makes one call and closes, then prints what each call gave.
// An unhandled rejection would end this process before it prints anything.
import { createVertexBackend } from "../dist/index.js";

const outcome = (promise) =>
  promise.then(
    () => ({ ok: true }),
    (error) => ({ name: error.name, code: error.code, message: error.message, cause: String(error.cause) }),
  );

const results = [];
for (const { env, keyFilename } of JSON.parse(process.argv[2])) {
  if (env === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  else process.env.GOOGLE_APPLICATION_CREDENTIALS = env;
  const backend = createVertexBackend({ project: "p", location: "us-central1", keyFilename });
  const call = await outcome(backend.listExperiments());
  const again = await outcome(backend.getExperiment("e"));
  const close = await outcome(backend.close());
  results.push({ call, again, close });
}
// Give a rejection that nothing handled the time to surface (it would print and exit 1).
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write(JSON.stringify(results));
