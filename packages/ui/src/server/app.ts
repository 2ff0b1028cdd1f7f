import { gzipSync } from "node:zlib";
import { type Backend, type CheckedBackend, checkBackend, stringifyJson } from "@exprun/core";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { type Asset, defaultAssetsDir, loadAssets } from "./assets.js";
import { LiveHub } from "./live.js";
import { ApiError, checkName, invalid, Query } from "./query.js";
import {
  getExperiment,
  getRun,
  listExperiments,
  readCompare,
  readParallel,
  readRunDetail,
  summarizeExperiment,
} from "./reads.js";
import { DEFAULT_SORT } from "./run-order.js";
import { checkColumns, parseFilterParam, readRunsPage } from "./runs-table.js";
import { hostAllowed, SECURITY_HEADERS } from "./security.js";
import { readDownsampled } from "./series-read.js";
import { encodeSeries, SERIES_CONTENT_TYPE } from "./series-wire.js";

export interface UiAppOptions {
  /** The store to show (read-only: the UI never writes). */
  backend: Backend;
  /**
   * `Host` header values answered (`host:port`); others get 403 (DNS rebinding). Default: loopback
   * names on any port. {@link startUiServer} sets the exact list for the address it binds.
   */
  allowedHosts?: readonly string[] | undefined;
  /**
   * How often open pages' experiments are polled for changed runs, in ms (at least 5× the last poll's
   * duration, so a slow store is not hammered).
   * @default 2000
   */
  pollIntervalMs?: number | undefined;
  /** What the page header names the store as, e.g. `file:./.exprun` (never with credentials). */
  storeLabel?: string | undefined;
  /** Where the built page is. @default this package's `dist/web` */
  assetsDir?: string | undefined;
  /** Called with errors the API answered as 500 or that a background poll hit. @default logs to stderr */
  onError?: ((error: unknown) => void) | undefined;
}

export interface UiApp {
  /** The Hono app: `app.fetch` for a server, `app.request(path)` in tests. */
  app: Hono;
  /** Stops the live pollers. */
  close(): void;
}

export const DEFAULT_POLL_INTERVAL_MS = 2000;
/** Bounds of the API's sizes, so that no request can make the server hold or send unbounded data. */
export const LIMITS = {
  runsPage: { max: 1000, fallback: 100 },
  experimentsPage: { max: 100, fallback: 50 },
  buckets: { min: 2, max: 4000, fallback: 1000 },
  seriesRuns: 200,
  compareRuns: 200,
  parallelFields: 30,
  parallelRuns: { max: 20_000, fallback: 10_000 },
  filterLength: 2000,
} as const;

const PAGE_ROUTES = [
  "/",
  "/experiments/:experiment",
  "/experiments/:experiment/runs/:run",
  "/experiments/:experiment/compare",
];

/**
 * The UI's HTTP app: the JSON API under `/api`, the bundled page under `/assets`, and the page's
 * routes. Read-only: only GET and HEAD are answered.
 */
export function createUiApp(options: UiAppOptions): UiApp {
  // Every read goes through core's checked gateway (idempotent: a checked store is used as is).
  const backend: CheckedBackend = checkBackend(options.backend);
  const onError = options.onError ?? ((error: unknown) => console.error("[exprun] [ui]", error));
  const live = new LiveHub(backend, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, onError);
  let closed = false;
  let assets: Map<string, Asset> | undefined;
  const asset = (path: string): Asset | undefined => {
    assets ??= loadAssets(options.assetsDir ?? defaultAssetsDir());
    return assets.get(path);
  };
  const app = new Hono();

  app.use("*", async (c, next) => {
    // Node's server builds the URL from the Host header; `app.request()` sets only the URL.
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!hostAllowed(host, options.allowedHosts)) {
      const error = new ApiError(
        403,
        "FORBIDDEN_HOST",
        `Host ${JSON.stringify(host.slice(0, 100))} is not this server's address. ` +
          "Open the address exprun ui printed.",
      );
      return respondError(error);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return withHeaders(
        new Response("The exprun UI is read-only.\n", { status: 405, headers: { Allow: "GET, HEAD" } }),
      );
    }
    const started = performance.now();
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    if (!c.res.headers.has("Server-Timing")) {
      c.res.headers.set("Server-Timing", `app;dur=${(performance.now() - started).toFixed(1)}`);
    }
  });

  app.onError((error) => {
    if (error instanceof ApiError) return respondError(error);
    const code = (error as { code?: unknown }).code;
    if (code === "NOT_FOUND") return respondError(new ApiError(404, "NOT_FOUND", error.message));
    if (code === "VALIDATION" || code === "INVALID_TYPE") {
      return respondError(new ApiError(400, "INVALID_PARAMETER", error.message));
    }
    // A read still running when the server shuts down meets the store its owner closed after it: the
    // shutdown, not a fault worth a stack in the log.
    if (code === "CLOSED" && closed) {
      return respondError(new ApiError(503, "SHUTTING_DOWN", "The exprun UI is shutting down."));
    }
    if (code === "BACKEND") {
      onError(error);
      return respondError(new ApiError(502, "STORE_ERROR", error.message));
    }
    onError(error);
    return respondError(new ApiError(500, "STORE_ERROR", "The server hit an unexpected error; see its log."));
  });

  app.get("/api/store", (c) => {
    new Query(c.req.url, []);
    return json(c, {
      backend: backend.name,
      label: options.storeLabel ?? backend.name,
      readOnly: true,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      limits: LIMITS,
    });
  });

  app.get("/api/experiments", async (c) => {
    const q = new Query(c.req.url, ["q", "pageSize", "pageToken"]);
    return json(
      c,
      await listExperiments(backend, {
        q: q.text("q", 200),
        pageSize: q.integer("pageSize", { min: 1, ...LIMITS.experimentsPage }),
        pageToken: q.text("pageToken", 2000),
      }),
    );
  });

  app.get("/api/experiments/:experiment", async (c) => {
    new Query(c.req.url, []);
    const record = await getExperiment(backend, experimentParam(c));
    return json(c, {
      ...(await summarizeExperiment(backend, record)),
      backingTensorboard: record.backingTensorboard ?? null,
    });
  });

  app.get("/api/experiments/:experiment/runs", async (c) => {
    const q = new Query(c.req.url, ["filter", "sort", "limit", "after", "reverse", "columns", "withColumns"]);
    const experiment = experimentParam(c);
    const request = {
      filter: q.text("filter", LIMITS.filterLength),
      sort: q.text("sort", 500) ?? DEFAULT_SORT,
      limit: q.integer("limit", { min: 1, ...LIMITS.runsPage }),
      after: q.text("after", 4000),
      reverse: q.flag("reverse", false),
      columns: checkColumns(q.list("columns", { maxItems: 300, maxLength: 300 })),
      withColumns: q.flag("withColumns", false),
    };
    const record = await getExperiment(backend, experiment);
    return json(c, {
      experiment: { name: record.name, description: record.description },
      ...(await readRunsPage(backend, experiment, request)),
    });
  });

  app.get("/api/experiments/:experiment/runs/:run", async (c) => {
    new Query(c.req.url, []);
    const experiment = experimentParam(c);
    const run = checkName("run", c.req.param("run"), "run");
    await getExperiment(backend, experiment);
    return json(c, await readRunDetail(backend, experiment, run));
  });

  app.get("/api/experiments/:experiment/compare", async (c) => {
    const q = new Query(c.req.url, ["runs"]);
    const experiment = experimentParam(c);
    const runs = q.runNames("runs", { maxItems: LIMITS.compareRuns, required: true });
    await getExperiment(backend, experiment);
    return json(c, await readCompare(backend, experiment, runs));
  });

  app.get("/api/experiments/:experiment/parallel", async (c) => {
    const q = new Query(c.req.url, ["fields", "filter", "limit"]);
    const experiment = experimentParam(c);
    const fields =
      checkColumns(q.list("fields", { maxItems: LIMITS.parallelFields, maxLength: 300 }), "fields") ?? [];
    if (fields.length < 2)
      throw invalid("fields", "give at least two fields (param.KEY, metric.KEY or series.KEY).");
    const filter = parseFilterParam(q.text("filter", LIMITS.filterLength));
    const limit = q.integer("limit", { min: 1, ...LIMITS.parallelRuns });
    await getExperiment(backend, experiment);
    return json(c, await readParallel(backend, experiment, { fields, filter, limit }));
  });

  app.get("/api/experiments/:experiment/series", async (c) => {
    const started = performance.now();
    const q = new Query(c.req.url, ["runs", "metric", "x", "from", "to", "buckets"]);
    const experiment = experimentParam(c);
    const runs = q.runNames("runs", { maxItems: LIMITS.seriesRuns, required: true });
    const metric = q.text("metric", 500);
    if (metric === undefined) throw invalid("metric", "give the time-series metric to read.");
    const x = q.oneOf("x", ["step", "wallTime"] as const, "step");
    const from = q.number("from");
    const to = q.number("to");
    if (from !== undefined && to !== undefined && from > to)
      throw invalid("from", `must not be greater than "to".`);
    const buckets = q.integer("buckets", LIMITS.buckets);
    await getExperiment(backend, experiment);
    const items = [];
    const missing: string[] = [];
    for (const name of runs) {
      let run: Awaited<ReturnType<typeof getRun>>;
      try {
        run = await getRun(backend, experiment, name);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          missing.push(name);
          continue;
        }
        throw error;
      }
      const [series] = await readDownsampled(run, { metrics: [metric], x, range: { from, to }, buckets });
      items.push({ run: name, x, series: series! });
    }
    const body = encodeSeries(items, missing);
    return send(c, body, SERIES_CONTENT_TYPE, {
      "Server-Timing": `read;dur=${(performance.now() - started).toFixed(1)}`,
    });
  });

  app.get("/api/experiments/:experiment/events", async (c) => {
    new Query(c.req.url, []);
    const experiment = experimentParam(c);
    await getExperiment(backend, experiment);
    c.header("Cache-Control", "no-store");
    return streamSSE(c, async (stream) => {
      let wake: (() => void) | undefined;
      const queue: string[] = [];
      const unsubscribe = live.subscribe(experiment, (event) => {
        queue.push(stringifyJson(event));
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      await stream.writeSSE({ event: "ready", data: "{}", retry: 3000 });
      while (!stream.aborted && !stream.closed) {
        const data = queue.shift();
        if (data !== undefined) {
          await stream.writeSSE({ event: "runs", data });
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 15_000).unref(); // a comment line keeps proxies from closing an idle stream
        });
        wake = undefined;
        if (queue.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
      }
      unsubscribe();
    });
  });

  app.all("/api/*", () => {
    throw new ApiError(404, "NOT_FOUND", "No such API route. The routes are listed in @exprun/ui's README.");
  });

  app.get("/assets/:file", (c) => {
    const found = asset(`/${c.req.param("file")}`);
    if (!found || c.req.param("file") === "index.html") return c.text("Not found\n", 404);
    return sendAsset(c, found);
  });

  for (const route of PAGE_ROUTES) {
    app.get(route, (c) => {
      const response = sendAsset(c, asset("/index.html")!);
      // The runs table's first request starts with the page, not after the script ran.
      const experiment = c.req.param("experiment");
      if (route === "/experiments/:experiment" && experiment) {
        response.headers.set(
          "Link",
          `<${firstRunsRequest(experiment, new URL(c.req.url).searchParams)}>; rel=preload; as=fetch; crossorigin`,
        );
      }
      return response;
    });
  }
  app.notFound((c) => c.text("Not found\n", 404));

  return {
    app,
    close: () => {
      closed = true;
      live.close();
    },
  };
}

/**
 * The URL the runs page fetches first for the page URL's `filter`, `sort` and `cols` (the page's
 * `pages/runs.ts` builds the same; a preload is only used when the URLs are equal).
 */
export function firstRunsRequest(experiment: string, page: URLSearchParams): string {
  const params = new URLSearchParams();
  const filter = page.get("filter");
  if (filter) params.set("filter", filter);
  params.set("sort", page.get("sort") || DEFAULT_SORT);
  params.set("limit", "100");
  const cols = page.get("cols");
  if (cols && cols !== "none") params.set("columns", cols.split(",").filter(Boolean).join(","));
  params.set("withColumns", "1");
  return `/api/experiments/${encodeURIComponent(experiment)}/runs?${params}${cols === "none" ? "&columns=" : ""}`;
}

function experimentParam(c: Context): string {
  return checkName("experiment", c.req.param("experiment") ?? "", "experiment");
}

function withHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) response.headers.set(k, v);
  return response;
}

function respondError(error: ApiError): Response {
  return withHeaders(
    new Response(`${JSON.stringify(error.toJSON())}\n`, {
      status: error.status,
      headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
    }),
  );
}

/** JSON through core's codec (NaN and ±Infinity survive as `{"$float": …}`), gzipped when accepted. */
function json(c: Context, value: unknown): Response {
  return send(c, new TextEncoder().encode(stringifyJson(value)), "application/json; charset=utf-8");
}

function send(c: Context, body: Uint8Array, type: string, extra: Record<string, string> = {}): Response {
  const headers: Record<string, string> = {
    "Content-Type": type,
    "Cache-Control": "no-store",
    Vary: "Accept-Encoding",
    ...extra,
  };
  let payload = body;
  if (body.byteLength > 1024 && acceptsGzip(c)) {
    payload = gzipSync(body, { level: 6 });
    headers["Content-Encoding"] = "gzip";
  }
  return new Response(c.req.method === "HEAD" ? null : (payload as Uint8Array<ArrayBuffer>), {
    status: 200,
    headers,
  });
}

function sendAsset(c: Context, asset: Asset): Response {
  const headers: Record<string, string> = {
    "Content-Type": asset.type,
    "Cache-Control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    Vary: "Accept-Encoding",
  };
  const gzip = acceptsGzip(c);
  if (gzip) headers["Content-Encoding"] = "gzip";
  const body = gzip ? asset.gzip : asset.body;
  return new Response(c.req.method === "HEAD" ? null : (body as Uint8Array<ArrayBuffer>), {
    status: 200,
    headers,
  });
}

function acceptsGzip(c: Context): boolean {
  return /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
}
