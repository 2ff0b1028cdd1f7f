import os from "node:os";

/**
 * The page's Content-Security-Policy: scripts, styles and data only from this server, no inline
 * script or style element, no plugins, no framing, no form posts. Chart libraries set styles through
 * the CSSOM (`element.style`), which `style-src` does not restrict.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every response. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Whether `host` is a loopback address (the UI's default: readable from this machine only). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/**
 * The `Host` header values the server answers when bound to `host:port`; any other is refused, so a
 * page of another site whose name was rebound to 127.0.0.1 (DNS rebinding) cannot read the store.
 * A wildcard bind (`0.0.0.0`, `::`) answers the machine's own addresses and host name.
 */
export function allowedHostsFor(host: string, port: number): string[] {
  const names = new Set<string>(LOOPBACK_NAMES);
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "0.0.0.0" || bare === "::") {
    names.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) {
      for (const address of list ?? [])
        names.add(address.family === "IPv6" ? `[${address.address}]` : address.address);
    }
  } else {
    names.add(bare.includes(":") ? `[${bare.toLowerCase()}]` : bare.toLowerCase());
  }
  return [...names].map((name) => `${name}:${port}`);
}

/**
 * Whether a request's `Host` header is allowed. Without an explicit list (a server not bound yet, or
 * an app used through `app.request()`), loopback names on any port are.
 */
export function hostAllowed(hostHeader: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  if (allowed) return allowed.includes(host);
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  const port = host.slice(name.length);
  return LOOPBACK_NAMES.includes(name) && (port === "" || /^:\d{1,5}$/.test(port));
}
