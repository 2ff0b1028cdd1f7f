import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createMemoryBackend } from "@exprun/backend-memory";
import { describe, expect, it } from "vitest";
import {
  defaultBackendUri,
  openBackend,
  parseBackendUri,
  registerBackendScheme,
  s3OptionsFromUri,
} from "../src/index.js";

describe("backend URIs", () => {
  it("splits every supported form", () => {
    expect(parseBackendUri("memory:")).toMatchObject({ scheme: "memory" });
    expect(parseBackendUri("file:./runs")).toMatchObject({ scheme: "file", path: "./runs" });
    expect(parseBackendUri("file:///abs/runs")).toMatchObject({ scheme: "file", path: "/abs/runs" });
    expect(parseBackendUri("/abs/runs")).toMatchObject({ scheme: "file", path: "/abs/runs" });
    expect(parseBackendUri("s3://bucket/team/a/")).toMatchObject({
      scheme: "s3",
      host: "bucket",
      path: "team/a",
    });
    expect(parseBackendUri("vertex://my-proj/us-central1")).toMatchObject({
      scheme: "vertex",
      host: "my-proj",
      path: "us-central1",
    });
  });

  it("EXPRUN_BACKEND wins, then EXPRUN_HOME, then ./.exprun", () => {
    expect(defaultBackendUri({ EXPRUN_BACKEND: "memory:" })).toBe("memory:");
    expect(defaultBackendUri({ EXPRUN_HOME: "/data/runs" })).toBe("file:/data/runs");
    expect(defaultBackendUri({})).toBe("file:.exprun");
  });

  it("an unknown scheme lists the known ones", async () => {
    await expect(openBackend("redis://x")).rejects.toThrowError(/Unknown backend URI "redis:\/\/x"/);
  });

  it("a registered scheme opens the user's store, checked", async () => {
    const mine = createMemoryBackend();
    registerBackendScheme("mine", ({ host }) => {
      expect(host).toBe("here");
      return mine;
    });
    expect(await openBackend("mine://here")).toBe(mine);
  });

  it("an importer given by the caller resolves the backend package", async () => {
    const asked: string[] = [];
    const made = createMemoryBackend();
    const backend = await openBackend("memory:", {
      importer: async (pkg) => {
        asked.push(pkg);
        return { createMemoryBackend: () => made };
      },
    });
    expect(asked).toEqual(["@exprun/backend-memory"]);
    expect(backend).toBe(made);
  });

  it("a vertex URI without a location says how to write it", async () => {
    await expect(openBackend("vertex://only-project")).rejects.toThrowError(/vertex:\/\/project\/location/);
  });
});

describe("S3 URI options, parsed once in core", () => {
  /** What openBackend passes to createS3Backend for `uri`. */
  async function s3FactoryOptions(uri: string): Promise<unknown> {
    let given: unknown;
    await openBackend(uri, {
      importer: async () => ({
        createS3Backend: (options: unknown) => {
          given = options;
          return createMemoryBackend();
        },
      }),
    });
    return given;
  }

  // Guards against: EXPRUN_BACKEND=s3://bucket/p?endpoint=http://127.0.0.1:9000 silently becoming the
  // key prefix "p?endpoint=http:/127.0.0.1…" in a training script (only the CLI parsed the options).
  it("endpoint, region and path-style become the client config; the prefix stays the prefix", async () => {
    expect(
      await s3FactoryOptions(
        "s3://bucket/team/p?endpoint=http://127.0.0.1:9000&region=eu-west-1&path-style=true",
      ),
    ).toEqual({
      bucket: "bucket",
      prefix: "team/p",
      clientConfig: { endpoint: "http://127.0.0.1:9000", region: "eu-west-1", forcePathStyle: true },
    });
    expect(await s3FactoryOptions("s3://bucket")).toEqual({ bucket: "bucket" });
    expect(await s3FactoryOptions("s3://bucket/a%3Fb%20c/")).toEqual({ bucket: "bucket", prefix: "a?b c" });
    expect(await s3FactoryOptions("s3://bucket/p?conditional-writes=auto&path-style=false")).toEqual({
      bucket: "bucket",
      prefix: "p",
      conditionalWrites: "auto",
      clientConfig: { forcePathStyle: false },
    });
  });

  it("an unknown or malformed option is a ValidationError naming the options there are", () => {
    const parts = (uri: string) => () => s3OptionsFromUri(parseBackendUri(uri));
    expect(parts("s3://b/p?endpiont=http://x")).toThrowError(
      /Unknown option "endpiont" in the S3 URI "s3:\/\/b\/p": use endpoint, region, path-style, conditional-writes/,
    );
    expect(parts("s3://b/p?endpoint=localhost:9000")).toThrowError(/use http\(s\):\/\/host\[:port\]/);
    expect(parts("s3://b/p?path-style=maybe")).toThrowError(/must be true or false/);
    expect(parts("s3://b/p?region=a&region=b")).toThrowError(/given twice/);
    expect(() => parseBackendUri("s3://b/p#frag")).toThrowError(/write "#" in a path as %23/);
  });

  it("memory: and vertex:// take no options; file: paths keep their ? as is", async () => {
    await expect(openBackend("memory:?x=1")).rejects.toThrowError(/memory: URIs take no options/);
    await expect(openBackend("vertex://p/l?endpoint=x")).rejects.toThrowError(/vertex: URIs take no options/);
    expect(parseBackendUri("file:./runs?x")).toMatchObject({ scheme: "file", path: "./runs?x", options: {} });
  });
});

describe("backend packages", () => {
  it("a missing backend package is named in the error, with the install command", async () => {
    // As a user would meet it: plain Node, the built core, a project without @exprun/backend-s3.
    const cwd = await mkdtemp(path.join(tmpdir(), "exprun-no-s3-"));
    const core = pathToFileURL(path.resolve(import.meta.dirname, "../dist/index.js")).href;
    const script = `import { openBackend } from ${JSON.stringify(core)};
      openBackend("s3://bucket/prefix").catch((e) => { console.log(JSON.stringify({ code: e.code, message: e.message })); });`;
    // Only PATH and HOME: pnpm and vitest put their own module paths in the environment, a user's Node has none.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd,
      env,
      encoding: "utf8",
    });
    expect(JSON.parse(result.stdout)).toEqual({
      code: "BACKEND",
      message:
        "[exprun] [s3] The s3 backend needs @exprun/backend-s3, which is not installed. Run: npm install @exprun/backend-s3",
    });
  }, 30_000);
});
