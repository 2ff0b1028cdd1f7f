import type { AddressInfo } from "node:net";
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
      reject(
        error.code === "EADDRINUSE"
          ? new Error(
              `[exprun] [ui] Port ${requested} on ${host} is in use. Pick another with --port N (0 picks a free one).`,
              { cause: error },
            )
          : error,
      );
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
