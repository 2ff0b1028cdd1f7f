import { spawn } from "node:child_process";
import type { Command } from "commander";
import type { CliIo, Context } from "../context.js";
import { UsageError } from "../errors.js";
import { action, examples } from "./action.js";

/** The port `exprun ui` listens on by default (documented in --help and @exprun/ui's README). */
const DEFAULT_PORT = 5130;

export function registerUi(program: Command, io: CliIo): void {
  program
    .command("ui")
    .description("open a local web UI of the store: runs tables, run pages, charts, comparisons (read-only)")
    .option("-p, --port <n>", `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`)
    .option("--host <address>", "address to listen on (default 127.0.0.1: this machine only)")
    .option("--open", "open the browser (default when stdout is a terminal)")
    .option("--no-open", "do not open the browser")
    .addHelpText(
      "after",
      `
Prints one line, "exprun ui: http://127.0.0.1:PORT/", then serves until Ctrl-C (SIGINT) or
SIGTERM, and exits 0. The page is bundled in @exprun/ui and nothing is fetched from a network.
Read-only: the UI never writes to the store, so it is safe to point at a shared bucket. Open
pages update while runs are logged (the store is polled every 2 s while a page is open).
Listening on another address than 127.0.0.1 (--host 0.0.0.0) makes the store readable by
anyone who can reach this machine; exprun says so on stderr.
${examples(
  "exprun ui",
  "exprun ui --port 0 --no-open",
  "exprun ui --backend s3://team-bucket/exprun",
  "EXPRUN_BACKEND=file:/data/exprun exprun ui --host 0.0.0.0 --port 8080",
)}`,
    )
    .action(action(io, async (ctx, opts) => serveUi(ctx, opts)));
}

async function serveUi(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const port = opts.port === undefined ? DEFAULT_PORT : parsePort(String(opts.port));
  const host = opts.host === undefined ? undefined : String(opts.host);
  const backend = await ctx.existingBackend();
  const { startUiServer } = await import("@exprun/ui");
  const server = await startUiServer({
    backend,
    port,
    ...(host ? { host } : {}),
    storeLabel: storeLabel(ctx.backendUri),
  });
  ctx.out(`exprun ui: ${server.url}`);
  if (server.exposed) {
    ctx.note(
      `[exprun] Warning: listening on ${server.host}: anyone who can reach this machine on port ${server.port} ` +
        `can read the whole store ${storeLabel(ctx.backendUri)}. Use --host 127.0.0.1 to keep it to this machine.`,
    );
  }
  const open = opts.open === undefined ? ctx.io.stdout.isTTY === true : opts.open === true;
  if (open) openBrowser(server.url, ctx);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(
      `Bad --port ${JSON.stringify(text)}: use a number from 0 to 65535 (0 picks a free port).`,
    );
  }
  return Number(text);
}

/** The store's URI as the page shows it: without credentials or query parameters. */
export function storeLabel(uri: string): string {
  return uri.replace(/\?.*$/, "").replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

function openBrowser(url: string, ctx: Context): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => ctx.note(`[exprun] Could not open a browser; open ${url} yourself.`));
    child.unref();
  } catch {
    ctx.note(`[exprun] Could not open a browser; open ${url} yourself.`);
  }
}
