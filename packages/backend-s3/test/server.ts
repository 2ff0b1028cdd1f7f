import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { unlink } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll } from "vitest";
import { createS3Backend, type S3Backend, type S3BackendOptions } from "../src/index.js";

export const BUCKET = "exprun-test";

/**
 * The two S3 implementations the suite runs against: s3rver (Node, in process; ignores conditional
 * writes) and moto (Python, AWS-strict; honours If-None-Match/If-Match, not atomically). moto is in
 * the machine image's default python3; where `import moto` fails, its tests are skipped, loudly.
 */
export type ServerKind = "s3rver" | "moto";

function probeMoto(): { available: boolean; reason: string } {
  const result = spawnSync("python3", ["-c", "import moto, sys; sys.stdout.write(moto.__version__)"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (result.status === 0) return { available: true, reason: `moto ${result.stdout}` };
  const why = result.error ? result.error.message : (result.stderr || "").trim().split("\n").pop();
  return { available: false, reason: `python3 -c "import moto" failed: ${why}` };
}

export const moto = probeMoto();
if (!moto.available) {
  console.warn(
    `[backend-s3 tests] SKIPPING every moto run of this file: ${moto.reason}. Install moto (pip install "moto[server]==5.2.1") to run them.`,
  );
}
/** The servers this machine can run: both, or s3rver alone (with the warning above). */
export const SERVERS: ServerKind[] = moto.available ? ["s3rver", "moto"] : ["s3rver"];

/** Faults the proxy injects: `rate` of requests answer SlowDown/503/500 instead of their result. */
export interface Faults {
  rate: number;
  injected: number;
}

/** One request as the proxy saw it. */
export interface Exchange {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** An answer the proxy gives instead of forwarding. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/**
 * A real S3 server behind a small HTTP proxy on 127.0.0.1 that counts requests, injects faults,
 * delays or refuses chosen requests, and tracks how many GETs are in flight.
 */
export interface TestServer {
  kind: ServerKind;
  /** The proxy: what backends talk to. */
  endpoint: string;
  honoursConditionalWrites: boolean;
  requests: { total: number; byMethod: Record<string, number> };
  /** Every exchange since `resetCounts`, when `recording` is on. */
  recorded: Exchange[];
  recording: boolean;
  faults: Faults;
  /** Answers a request itself instead of forwarding it (the request never reaches the server). */
  refuse: ((exchange: Exchange) => Refusal | undefined) | undefined;
  /**
   * Forwards a request, then answers this instead of the server's reply: the write happened, the
   * client is told it failed (a lost response), so its retry meets its own write.
   */
  failAfter: ((exchange: Exchange) => Refusal | undefined) | undefined;
  /** Holds a request this many ms before forwarding it. */
  delay: ((exchange: Exchange) => number) | undefined;
  gets: { inflight: number; max: number };
  client(): S3Client;
  resetCounts(): void;
  /** Every key in the bucket (read past the proxy, so not counted). */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>proxy</RequestId></Error>`;
}

/**
 * s3rver stores objects as files and removes a directory once its last object is deleted. A PUT
 * into that directory at the same moment (it has just created the directory) then fails inside
 * s3rver with an uncaught ENOENT and the request never answers. S3 has no directories, so the test
 * server keeps them: deletes only remove the object's files.
 */
function keepDirectories(server: S3rver): void {
  const store = server.store;
  store.deleteObject = async (bucket: string, key: string) => {
    const files = ["object", "object.md5", "metadata.json"].map((kind) =>
      store.getResourcePath(bucket, key, kind),
    );
    await Promise.all(
      files.map((file) =>
        unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        }),
      ),
    );
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startS3rver(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const directory = mkdtempSync(path.join(os.tmpdir(), "exprun-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: BUCKET }],
  });
  keepDirectories(server);
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function startMoto(
  env: Record<string, string> = {},
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const endpoint = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`moto exited (${child.exitCode}): ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const request = http.get(`${endpoint}/moto-api/`, (response) => {
        response.resume();
        resolve(true);
      });
      request.on("error", () => resolve(false));
    });
    if (up) break;
    if (tries > 300) throw new Error(`moto did not start within 30 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    async close() {
      process.removeListener("exit", kill);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      if (child.exitCode === null) kill();
    },
  };
}

function makeClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    // The backend's own retry layer is the one under test (it steps aside for a retrying client).
    maxAttempts: 1,
  });
}

export async function startServer(
  kind: ServerKind = "s3rver",
  env: Record<string, string> = {},
): Promise<TestServer> {
  const upstream = kind === "moto" ? await startMoto(env) : await startS3rver();
  const target = new URL(upstream.endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const requests = { total: 0, byMethod: {} as Record<string, number> };
  const faults: Faults = { rate: 0, injected: 0 };
  const gets = { inflight: 0, max: 0 };
  const state: Pick<TestServer, "refuse" | "failAfter" | "delay" | "recorded" | "recording"> = {
    refuse: undefined,
    failAfter: undefined,
    delay: undefined,
    recorded: [],
    recording: false,
  };
  const reply = (res: http.ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { "content-type": "application/xml" });
    res.end(errorXml(code, message));
  };
  const proxy = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", async () => {
      const exchange: Exchange = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(parts),
      };
      requests.total++;
      requests.byMethod[exchange.method] = (requests.byMethod[exchange.method] ?? 0) + 1;
      if (state.recording) state.recorded.push(exchange);
      const refusal = state.refuse?.(exchange);
      if (refusal) return reply(res, refusal.status, refusal.code, refusal.message);
      const wait = state.delay?.(exchange) ?? 0;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      let fault: [number, string] | undefined;
      const after = state.failAfter?.(exchange);
      if (after) fault = [after.status, after.code];
      let forwardFirst = true;
      if (!fault && faults.rate > 0 && Math.random() < faults.rate) {
        faults.injected++;
        const roll = Math.random();
        // With a quarter of the faults the write happens but the client is told it failed: a retry must be harmless.
        forwardFirst = roll < 0.25 && exchange.method !== "GET";
        fault =
          roll < 0.5 ? [500, "InternalError"] : roll < 0.75 ? [503, "SlowDown"] : [503, "ServiceUnavailable"];
        if (!forwardFirst) return reply(res, fault[0], fault[1], "Injected by the test proxy.");
      }
      const isGet = exchange.method === "GET";
      if (isGet) gets.max = Math.max(gets.max, ++gets.inflight);
      const upstreamRequest = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: exchange.method,
          path: exchange.url,
          headers: req.headers,
          agent,
        },
        (response) => {
          const done = () => {
            if (isGet) gets.inflight--;
          };
          if (fault) {
            response.resume();
            response.on("end", done);
            return reply(res, fault[0], fault[1], "Injected by the test proxy.");
          }
          res.writeHead(response.statusCode ?? 500, response.headers);
          response.pipe(res);
          response.on("end", done);
          response.on("error", done);
        },
      );
      upstreamRequest.on("error", (error) => {
        if (isGet) gets.inflight--;
        reply(res, 502, "BadGateway", String(error));
      });
      upstreamRequest.end(exchange.body);
    });
  });
  proxy.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  const admin = makeClient(upstream.endpoint);
  if (kind === "moto") await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const clients: S3Client[] = [admin];
  const server: TestServer = {
    kind,
    endpoint,
    honoursConditionalWrites: kind === "moto",
    requests,
    get recorded() {
      return state.recorded;
    },
    get recording() {
      return state.recording;
    },
    set recording(on: boolean) {
      state.recording = on;
    },
    faults,
    get refuse() {
      return state.refuse;
    },
    set refuse(fn) {
      state.refuse = fn;
    },
    get failAfter() {
      return state.failAfter;
    },
    set failAfter(fn) {
      state.failAfter = fn;
    },
    get delay() {
      return state.delay;
    },
    set delay(fn) {
      state.delay = fn;
    },
    gets,
    client() {
      const made = makeClient(endpoint);
      clients.push(made);
      return made;
    },
    resetCounts() {
      requests.total = 0;
      requests.byMethod = {};
      state.recorded = [];
      gets.max = gets.inflight;
    },
    async keys(prefix = "") {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await admin.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
        );
        for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async close() {
      for (const made of clients) made.destroy();
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      });
      agent.destroy();
      await upstream.close();
    },
  };
  return server;
}

let counter = 0;
/** A prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  counter++;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/**
 * One server of `kind` for the calling test file or describe block (started in `beforeAll`, closed
 * in `afterAll`), and a factory of backends on it with test timings (5 ms claim window, no flush
 * timer) plus `defaults`.
 */
export function useTestServer(kind: ServerKind = "s3rver", defaults: Partial<S3BackendOptions> = {}) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(kind);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });
  const running = (): TestServer => {
    if (!server) throw new Error("the test server starts in beforeAll; use it inside tests");
    return server;
  };
  return {
    kind,
    get server(): TestServer {
      return running();
    },
    backend(prefix: string = uniquePrefix(), extra: Partial<S3BackendOptions> = {}): S3Backend {
      return createS3Backend({
        bucket: BUCKET,
        prefix,
        client: running().client(),
        claimSettleMs: 5,
        flushIntervalMs: 0,
        ...defaults,
        ...extra,
      });
    },
  };
}
