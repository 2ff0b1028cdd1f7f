import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConformanceTimeoutError, Watchdog } from "../src/watchdog.js";

const file = path.join(mkdtempSync(path.join(os.tmpdir(), "exprun-watchdog-")), "out.txt");
const fd = openSync(file, "a");
const watchdog = new Watchdog({ fd });
afterAll(() => closeSync(fd));

const busy = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {}
};

describe("the watchdog", () => {
  it("resolves with the body's value when it finishes in time", async () => {
    await expect(watchdog.watch("quick", 5_000, async () => 42)).resolves.toBe(42);
    await expect(watchdog.watch("sync", 5_000, () => "plain")).resolves.toBe("plain");
  });

  it("passes the body's own error through", async () => {
    const boom = new Error("boom");
    await expect(
      watchdog.watch("failing", 5_000, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
  });

  it("names a body that blocks the event loop while it blocks, then fails it", async () => {
    const watched = watchdog.watch('"blocking body"', 300, async () => {
      busy(2_000);
      writeSync(fd, "BODY-UNBLOCKED\n");
    });
    await expect(watched).rejects.toBeInstanceOf(ConformanceTimeoutError);
    await expect(watched).rejects.toThrow(/"blocking body" did not finish within 300 ms/);
    const out = readFileSync(file, "utf8");
    const named = out.indexOf('TIMEOUT: "blocking body" has not finished after 300 ms');
    expect(named).toBeGreaterThanOrEqual(0);
    expect(out.indexOf("BODY-UNBLOCKED")).toBeGreaterThan(named);
  });

  it("fails a body that never settles at its deadline", async () => {
    await expect(watchdog.watch('"hanging body"', 200, () => new Promise(() => {}))).rejects.toThrow(
      /"hanging body" did not finish within 200 ms/,
    );
    expect(readFileSync(file, "utf8")).toContain('TIMEOUT: "hanging body"');
  });

  it("keeps watching the next body after a timeout", async () => {
    await expect(watchdog.watch("after", 5_000, async () => "still works")).resolves.toBe("still works");
  });
});
