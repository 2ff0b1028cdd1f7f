import type { AddressInfo } from "node:net";
import { ValidationError } from "@exprun/core";
import { serve } from "@hono/node-server";
import { createUiApp, type UiAppOptions } from "./app.js";
import { allowedHostsFor, isLoopbackHost } from "./security.js";

/** The port `exprun ui` listens on unless told otherwise. */
export const DEFAULT_PORT = 5130;
export const DEFAULT_HOST = "127.0.0.1";

export interface UiServerOptions extends Omit<UiAppOptions, "allowedHosts"> {
  /** @default "127.0.0.1" (this machine only). Any other address makes the store readable from the network. */
  host?: string | undefined;
  /** `0` picks a free port. @default 5130 */
  port?: number | undefined;
  /** More `Host` header values to answer, e.g. `"my-box.local:5130"` behind a name. */
  allowedHosts?: readonly string[] | undefined;
}

export interface UiServer {
  /** `http://127.0.0.1:PORT/` (an IPv6 host in brackets). */
  url: string;
  host: string;
  port: number;
  /** True when the bound address is not a loopback one: anyone who reaches it can read the store. */
  exposed: boolean;
  /** Stops accepting connections, ends open ones (live pages included) and stops polling. */
  close(): Promise<void>;
}

/** Starts the UI's HTTP server; resolves once it listens. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? DEFAULT_HOST;
  const requested = options.port ?? DEFAULT_PORT;
  // Filled once the port is known; the app reads this array on every request.
  const allowed: string[] = [];
  const ui = createUiApp({ ...options, allowedHosts: allowed });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: ui.app.fetch, hostname: host, port: requested }, () => resolve(s));
    s.once("error", (error: NodeJS.ErrnoException) => {
      ui.close();
      reject(listenError(error, host, requested));
    });
  });
  const address = server.address() as AddressInfo;
  allowed.push(
    ...allowedHostsFor(host, address.port),
    ...(options.allowedHosts ?? []).map((h) => h.toLowerCase()),
  );
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${address.port}/`,
    host,
    port: address.port,
    exposed: !isLoopbackHost(host),
    close: () =>
      new Promise<void>((resolve) => {
        ui.close();
        const s = server as unknown as { closeAllConnections?: () => void; close(cb: () => void): void };
        s.close(() => resolve());
        s.closeAllConnections?.();
      }),
  };
}

/**
 * Why the server could not listen, as a `ValidationError` (the CLI exits 1: the address or port
 * given is the problem, not the store) for the causes a user can fix with `--host` / `--port`.
 */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const fix = "Pick another with --port N (0 picks a free one).";
  const reasons: Record<string, string> = {
    EADDRINUSE: `Port ${port} on ${host} is in use. ${fix}`,
    EACCES: `Port ${port} on ${host} needs more privileges than this process has. ${fix}`,
    EADDRNOTAVAIL: `${host} is not an address of this machine. Use --host 127.0.0.1 (this machine only) or one of its addresses.`,
    ENOTFOUND: `No address is known for the host name ${JSON.stringify(host)}. Use --host 127.0.0.1 (this machine only) or one of its addresses.`,
    EAI_AGAIN: `The host name ${JSON.stringify(host)} could not be resolved now. Use --host 127.0.0.1 (this machine only) or an address.`,
  };
  const reason = error.code === undefined ? undefined : reasons[error.code];
  return reason ? new ValidationError(reason, { backend: "ui", cause: error }) : error;
}
