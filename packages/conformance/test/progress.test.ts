import { afterEach, describe, expect, it } from "vitest";
import { progressWanted } from "../src/progress.js";

const saved = { forced: process.env.EXPRUN_CONFORMANCE_PROGRESS, tty: process.env.FORCE_TTY };
afterEach(() => {
  for (const [key, value] of [
    ["EXPRUN_CONFORMANCE_PROGRESS", saved.forced],
    ["FORCE_TTY", saved.tty],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe("progress lines", () => {
  it("are on when vitest's output is not a terminal, off when it is", () => {
    delete process.env.EXPRUN_CONFORMANCE_PROGRESS;
    process.env.FORCE_TTY = "";
    expect(progressWanted(undefined)).toBe(true);
    process.env.FORCE_TTY = "true";
    expect(progressWanted(undefined)).toBe(false);
  });

  it("follow the option, and EXPRUN_CONFORMANCE_PROGRESS over it", () => {
    process.env.FORCE_TTY = "true";
    delete process.env.EXPRUN_CONFORMANCE_PROGRESS;
    expect(progressWanted(true)).toBe(true);
    process.env.EXPRUN_CONFORMANCE_PROGRESS = "0";
    expect(progressWanted(true)).toBe(false);
    process.env.EXPRUN_CONFORMANCE_PROGRESS = "1";
    expect(progressWanted(false)).toBe(true);
  });
});
