#!/usr/bin/env node
import { run } from "./program.js";

// The AWS SDK warns on Node < 22 when an S3 client is built, about SDK versions published after
// January 2027; the pinned one supports Node 20, so the warning only clutters every s3:// command.
// The SDK reads this when the client is built (s3:// stores load it later, on demand). A user's own
// setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// `exprun runs list | head` closes the pipe early: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
