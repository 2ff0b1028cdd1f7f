import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import type { ImportedRun, ImportSource } from "../src/index.js";

/** The shared fixtures (read-only; tests copy what they use). */
export const FIXTURES = path.join(import.meta.dirname, "fixtures");

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "exprun-import-test-"));
  made.push(dir);
  return dir;
}

/** Copies a shared fixture into a temporary folder and returns the copy's path. */
export function copyFixture(relative: string): string {
  const target = path.join(tempDir(), path.basename(relative));
  cpSync(path.join(FIXTURES, relative), target, { recursive: true });
  return target;
}

export interface CollectedRun extends Omit<ImportedRun, "series" | "close"> {
  series: Record<string, { steps: number[]; wallTimes: number[]; values: number[] }>;
}

/** Reads every run of a source with its whole series (tests only: real imports stream). */
export async function collect(source: ImportSource): Promise<CollectedRun[]> {
  const out: CollectedRun[] = [];
  try {
    for await (const run of source.runs()) {
      const series: CollectedRun["series"] = {};
      for await (const chunk of run.series()) {
        series[chunk.metric] ??= { steps: [], wallTimes: [], values: [] };
        const s = series[chunk.metric]!;
        s.steps.push(...chunk.steps);
        s.wallTimes.push(...chunk.wallTimes);
        s.values.push(...chunk.values);
      }
      const { series: _s, close: _c, ...rest } = run;
      out.push({ ...rest, seriesKeys: [...run.seriesKeys], series });
    }
  } finally {
    await source.close();
  }
  return out;
}

/** Path → (content hash, mtime) of every file under `dir`: equal before and after means untouched. */
export function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of readdirSync(sub, { withFileTypes: true })) {
      const full = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const hash = createHash("sha256").update(readFileSync(full)).digest("hex");
        out[path.relative(dir, full)] = `${hash} ${statSync(full).mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}
