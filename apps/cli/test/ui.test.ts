import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { createFileBackend } from "@exprun/backend-file";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, exprun, tempDir } from "./helpers/cli.js";
import { seed } from "./helpers/seed.js";

let store: { dir: string; remove(): void };
let uri: string;

beforeAll(async () => {
  store = tempDir("exprun-cli-ui-");
  const backend = createFileBackend({ root: path.join(store.dir, "store"), fsync: false });
  await seed(backend);
  await backend.close();
  uri = `file:${path.join(store.dir, "store")}`;
});
afterAll(() => store.remove());

/** Starts `exprun ui …` and resolves once it printed its line. */
function startUi(
  args: string[],
): Promise<{ child: ChildProcess; line: string; stderr: () => string; exit: Promise<number | null> }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.EXPRUN_BACKEND;
  const child = spawn(process.execPath, [BIN, "ui", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (stdout.includes("\n")) resolve({ child, line: stdout, stderr: () => stderr, exit });
    });
    exit.then((code) => reject(new Error(`exprun ui exited ${code} before printing its URL: ${stderr}`)));
  });
}

describe("exprun ui", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`prints exactly its URL, serves the store, and exits 0 on ${signal}`, async () => {
      const ui = await startUi(["--backend", uri, "--port", "0", "--no-open"]);
      try {
        expect(ui.line).toMatch(/^exprun ui: http:\/\/127\.0\.0\.1:\d+\/\n$/);
        const url = ui.line.slice("exprun ui: ".length).trim();
        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<div id="app">');
        const experiments = (await (await fetch(`${url}api/experiments`)).json()) as {
          items: { name: string }[];
        };
        expect(experiments.items.length).toBeGreaterThan(0);
        ui.child.kill(signal);
        expect(await ui.exit).toBe(0);
        expect(ui.stderr()).toBe("");
      } finally {
        ui.child.kill("SIGKILL");
      }
    });
  }

  it("warns on stderr that the store is readable from the network when bound to another address", async () => {
    const ui = await startUi(["--backend", uri, "--port", "0", "--host", "0.0.0.0", "--no-open"]);
    try {
      expect(ui.line).toMatch(/^exprun ui: http:\/\/0\.0\.0\.0:\d+\/\n$/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(ui.stderr()).toContain("anyone who can reach this machine");
      // A request naming a host the server does not answer for is refused.
      const port = /:(\d+)\//.exec(ui.line)![1];
      const status = await new Promise<number | undefined>((resolve, reject) => {
        http
          .get(
            { host: "127.0.0.1", port: Number(port), path: "/api/store", headers: { host: "evil.example" } },
            (res) => {
              res.resume();
              resolve(res.statusCode);
            },
          )
          .on("error", reject);
      });
      expect(status).toBe(403);
      ui.child.kill("SIGTERM");
      expect(await ui.exit).toBe(0);
    } finally {
      ui.child.kill("SIGKILL");
    }
  });

  it("refuses a bad port and a store that does not exist, with exit code 1", async () => {
    const bad = await exprun(["ui", "--port", "70000", "--no-open", "--backend", uri]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Bad --port");
    const missing = await exprun([
      "ui",
      "--port",
      "0",
      "--no-open",
      "--backend",
      `file:${path.join(store.dir, "nope")}`,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("No exprun store at");
  });

  it("refuses a port in use with exit code 1 and says how to pick another (not an unexpected error)", async () => {
    const first = await startUi(["--port", "0", "--no-open", "--backend", uri]);
    try {
      const port = new URL(first.line.trim().replace(/^exprun ui: /, "")).port;
      const taken = await exprun(["ui", "--port", port, "--no-open", "--backend", uri]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(
        `[exprun] [ui] Port ${port} on 127.0.0.1 is in use. Pick another with --port N`,
      );
      expect(taken.stderr).not.toContain("unexpected");
    } finally {
      first.child.kill("SIGTERM");
      await first.exit;
    }
  });

  it("documents the default port and the flags in --help", async () => {
    const help = await exprun(["ui", "--help"]);
    expect(help.code).toBe(0);
    for (const text of ["default 5130", "--no-open", "--host", "SIGTERM", "exprun ui --port 0 --no-open"])
      expect(help.stdout).toContain(text);
  });
});
