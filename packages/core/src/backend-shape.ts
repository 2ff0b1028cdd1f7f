import type { Backend, BackendCapabilities } from "./backend.js";
import type { Gate } from "./backend-gate.js";
import { ValidationError } from "./errors.js";
import type { RunRecord } from "./types.js";
import { requirePlainObject } from "./validation.js";

/** The contract's methods every store has; core checks each is a function. */
export const REQUIRED_METHODS = [
  "createExperiment",
  "getExperiment",
  "listExperiments",
  "updateExperiment",
  "deleteExperiment",
  "createRun",
  "getRun",
  "listRuns",
  "updateRun",
  "deleteRun",
  "assignRunTensorboard",
  "appendTimeSeries",
  "readSeries",
  "createArtifact",
  "getArtifact",
  "listArtifacts",
  "createExecution",
  "getExecution",
  "listExecutions",
  "updateExecution",
  "addExecutionEvents",
  "attributeToRun",
  "addRunChildren",
  "listRunChildren",
] as const satisfies readonly (keyof Backend)[];

/**
 * Every method of the contract a caller can reach through core's gateway (the ones a store may leave
 * out too: core fills `latestTimeSeries` from `readSeries`, and `flush` resolves) — `close` aside.
 */
export const CONTRACT_METHODS = [
  ...REQUIRED_METHODS,
  "latestTimeSeries",
  "flush",
] as const satisfies readonly (keyof Backend)[];

/** Members of the contract; everything else a store has is an extra (a file store's `root`, S3's `compact()`). */
export const CONTRACT_KEYS = new Set<string>([
  ...CONTRACT_METHODS,
  "close",
  "name",
  "capabilities",
  "project",
  "location",
  "credentials",
  "constructor",
]);

const CAPABILITY_FLAGS = [
  "nonFiniteValues",
  "requiresTensorboard",
  "bufferedTimeSeries",
  "multiProcess",
  "keepsTimes",
  "tagsAsLabels",
] as const satisfies readonly (keyof BackendCapabilities)[];

export function storeName(raw: Backend): string {
  requirePlainObjectOrInstance(raw);
  const name = raw.name;
  if (typeof name !== "string" || !/^[\w.+-]{1,64}$/.test(name)) {
    throw new ValidationError(
      `A backend needs a short name (letters, digits, "_", ".", "+", "-"; at most 64) for messages; got ${JSON.stringify(name) ?? String(name)}.`,
    );
  }
  return name;
}

function requirePlainObjectOrInstance(raw: unknown): void {
  if (typeof raw !== "object" || raw === null) {
    requirePlainObject(raw, "A backend", "an object implementing Backend");
  }
}

/** The declared flags, frozen; a flag a store written for an older core leaves out is read as false. */
export function readCapabilities(raw: Backend, name: string): Readonly<BackendCapabilities> {
  const declared: unknown = raw.capabilities;
  if (typeof declared !== "object" || declared === null) {
    throw new ValidationError(`The ${name} backend declares no capabilities object.`, { backend: name });
  }
  const out = {} as BackendCapabilities;
  for (const flag of CAPABILITY_FLAGS) {
    const value = (declared as Record<string, unknown>)[flag];
    if (value !== undefined && typeof value !== "boolean") {
      throw new ValidationError(`capabilities.${flag} of the ${name} backend must be a boolean.`, {
        backend: name,
      });
    }
    out[flag] = value === true;
  }
  return Object.freeze(out);
}

export function normalizeRun(record: RunRecord): RunRecord {
  // Stores written for an older contract leave the newer fields out.
  if (record.tags === undefined) record.tags = {};
  if (record.description === undefined) record.description = "";
  if (record.incarnation === undefined) record.incarnation = "";
  return record;
}

/** A store's own members beyond the contract (a file store's `root`, S3's `compact()`), behind the closed gate. */
export function copyExtras(raw: Backend, checked: object, gate: Gate): void {
  const seen = new Set<string>();
  for (
    let o: object | null = raw;
    o && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (CONTRACT_KEYS.has(key) || seen.has(key) || key in checked) continue;
      seen.add(key);
      const descriptor = Object.getOwnPropertyDescriptor(o, key);
      if (descriptor && typeof descriptor.value === "function") {
        const fn = descriptor.value as (...args: unknown[]) => unknown;
        Object.defineProperty(checked, key, {
          enumerable: true,
          value: (...args: unknown[]) => gate.call(key, async () => fn.apply(raw, args)),
        });
      } else {
        Object.defineProperty(checked, key, {
          enumerable: true,
          get: () => (raw as unknown as Record<string, unknown>)[key],
        });
      }
    }
  }
}
