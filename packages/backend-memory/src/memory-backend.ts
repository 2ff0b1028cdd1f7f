import {
  type BackendCapabilities,
  type CheckedBackend,
  checkBackend,
  InvalidTypeError,
  ValidationError,
} from "@exprun/core";
import { resourceMethods } from "./memory-resources.js";
import { experimentMethods, runMethods } from "./memory-runs.js";
import { DEFAULT_SERIES_CHUNK_POINTS, seriesMethods } from "./memory-series.js";
import { MEMORY_BACKEND_NAME, MemoryStore } from "./memory-store.js";

export { MEMORY_BACKEND_NAME } from "./memory-store.js";

export interface MemoryBackendOptions {
  /**
   * Largest page `listRuns`/`listExperiments`/… return, so code that pages is exercised in tests.
   * @default 1000
   */
  pageSize?: number;
  /**
   * Most points per chunk `readSeries` yields (each chunk is a copy, so a reader holds at most one
   * chunk of 24 bytes a point beyond what it keeps). Small values exercise chunk boundaries in tests.
   * @default 65536
   */
  seriesChunkPoints?: number;
  /**
   * Another memory backend whose store this one opens, instead of a new empty store: a second handle
   * on the same in-process data, with its own closed state (what a second process is to a store on
   * disk; the conformance suite's `openSecond` uses it). `pageSize` and `seriesChunkPoints` are the
   * first handle's.
   */
  sameStoreAs?: CheckedBackend;
}

/** The store behind each memory backend, for `sameStoreAs`. */
const storeOf = new WeakMap<object, MemoryStore>();

/** Everything but Vertex's restrictions: any value, any tag, given times kept; one process, nothing buffered. */
export const MEMORY_CAPABILITIES: Readonly<BackendCapabilities> = Object.freeze({
  nonFiniteValues: true,
  requiresTensorboard: false,
  bufferedTimeSeries: false,
  multiProcess: false,
  keepsTimes: true,
  tagsAsLabels: false,
});

/**
 * A store that lives in this process only: every call to `createMemoryBackend()` is a new, empty,
 * isolated store. Made for unit tests of code that logs runs.
 */
export function createMemoryBackend(options: MemoryBackendOptions = {}): CheckedBackend {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidTypeError(
      `[memory] createMemoryBackend takes an options object { pageSize?, seriesChunkPoints?, sameStoreAs? }; got ${options === null ? "null" : typeof options}.`,
    );
  }
  const store = options.sameStoreAs
    ? sharedStore(options.sameStoreAs)
    : new MemoryStore(
        positiveInteger("pageSize", options.pageSize, 1000),
        positiveInteger("seriesChunkPoints", options.seriesChunkPoints, DEFAULT_SERIES_CHUNK_POINTS),
      );
  const backend = checkBackend({
    name: MEMORY_BACKEND_NAME,
    capabilities: MEMORY_CAPABILITIES,
    ...experimentMethods(store),
    ...runMethods(store),
    ...seriesMethods(store),
    ...resourceMethods(store),
  });
  storeOf.set(backend, store);
  return backend;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return value;
  throw new ValidationError(
    `${name} must be a positive integer; got ${JSON.stringify(value) ?? String(value)}.`,
    {
      backend: MEMORY_BACKEND_NAME,
    },
  );
}

function sharedStore(other: CheckedBackend): MemoryStore {
  const store = storeOf.get(other);
  if (!store) {
    throw new ValidationError("sameStoreAs must be a backend made by createMemoryBackend().", {
      backend: MEMORY_BACKEND_NAME,
    });
  }
  return store;
}
