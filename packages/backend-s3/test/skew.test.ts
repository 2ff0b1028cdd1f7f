import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { readSeriesPoints, settlePoints } from "@exprun/core";
import { describe, expect, it } from "vitest";
import { BUCKET, SERVERS, uniquePrefix, useTestServer } from "./server.js";

const HOUR = 3_600_000;
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "skewed-writer.mjs");

/** A child process running the skewed writer, with a way to send a command and await its answer. */
function writer(endpoint: string, prefix: string, offset: number) {
  const child: ChildProcess = spawn(process.execPath, [script, endpoint, BUCKET, prefix, String(offset)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: ((line: unknown) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      waiting.push(resolve);
      child.once("exit", (code) => reject(new Error(`writer with offset ${offset} exited (${code})`)));
    });
  const ready = next();
  return {
    ready,
    send(command: object) {
      const answer = next();
      child.stdin?.write(`${JSON.stringify(command)}\n`);
      return answer;
    },
  };
}

for (const kind of SERVERS) {
  describe(`clock skew on ${kind}`, () => {
    const s3 = useTestServer(kind);

    it("a write that starts after another was acknowledged wins, whatever the writers' clocks say", async () => {
      const prefix = uniquePrefix("skew");
      const setup = s3.backend(prefix);
      await setup.createExperiment({ name: "skew" });
      await setup.createRun("skew", { name: "shared", state: "RUNNING" });
      await setup.close();

      // Three machines, the first an hour ahead and the last an hour behind, write one after another.
      const writers = [HOUR, 0, -HOUR].map((offset) => writer(s3.server.endpoint, prefix, offset));
      await Promise.all(writers.map((w) => w.ready));
      const turns = [
        { value: 111, state: "FAILED" },
        { value: 222, state: "RUNNING" },
        { value: 333, state: "COMPLETE" },
      ];
      for (const [i, turn] of turns.entries()) {
        expect(await writers[i]?.send({ op: "write", ...turn })).toEqual({ done: turn.value });
      }
      await Promise.all(writers.map((w) => w.send({ op: "close" })));

      const reader = s3.backend(prefix);
      const ref = { experiment: "skew", run: "shared" };
      const run = await reader.getRun(ref);
      expect(run).toMatchObject({ state: "COMPLETE", params: { p: 333 }, metrics: { m: 333 } });
      const points = settlePoints(await readSeriesPoints(reader, ref)).filter((p) => p.metric === "loss");
      expect(points.map((p) => [p.step, p.value])).toEqual([[5, 333]]);
      expect((await reader.latestTimeSeries(ref)).loss?.value).toBe(333);
      expect((await reader.getExperiment("skew"))?.description).toBe("written by 333");
      await reader.close();
    }, 120_000);
  });
}
