/**
 * The one checked gateway between exprun and a store (the way kysely's `RuntimeDriver` wraps every
 * driver). `checkBackend(store)` returns a backend that
 * - checks every argument of every method (typed `ValidationError`/`InvalidTypeError`, before the
 *   store is called) and hands the store a fresh copy of what it checked, read once;
 * - enforces the declared capabilities (NaN, TensorBoard, tag label rules, kept times);
 * - owns the closed state: after `close()` resolved, every call rejects with `BackendClosedError`;
 * - derives what a store need not implement (`latestTimeSeries`, the `metrics` and schema filters,
 *   `listRuns`' latest points, `flush`/`close`);
 * - turns any other failure of the store into a `BackendError` (redacted, the cause attached);
 * - prints as `CheckedBackend { name, capabilities }`: never the store's clients or credentials.
 * Every factory in this repository returns a checked backend, and core wraps whatever it is given.
 */
import type { Backend, BackendCapabilities } from "./backend.js";
import { Gate } from "./backend-gate.js";
import {
  checkChildren,
  checkChildrenQuery,
  checkDeleteOptions,
  checkEvents,
  checkExecutionPatch,
  checkExperimentPatch,
  checkLinks,
  checkNewArtifact,
  checkNewExecution,
  checkNewExperiment,
  checkNewRun,
  checkResourceQuery,
  checkRunListRequest,
  checkRunPatch,
  checkTensorboardName,
  type InputRules,
} from "./backend-input.js";
import { copyExtras, normalizeRun, REQUIRED_METHODS, readCapabilities, storeName } from "./backend-shape.js";
import { checkedSeries, checkSeriesWrites, latestOf } from "./checked-series.js";
import { mapLimit } from "./concurrency.js";
import { BackendError, ValidationError } from "./errors.js";
import { checkIdRef, checkLabelCount, checkPageRequest, checkRunRef } from "./fields.js";
import { validateNameShape } from "./names.js";
import { applyTags } from "./records.js";
import { describeCredentials, protectCredentials } from "./secrets.js";
import type { Page, RunRecord, RunRef, SeriesPoint, TimeSeriesWrite } from "./types.js";
import { typeName } from "./validation.js";

/** Marks a checked backend, across copies of `@exprun/core` in one process. */
export const CHECKED_BACKEND: unique symbol = Symbol.for("exprun.checkedBackend");
/** @internal Core's own entry to a checked backend's store, for calls whose arguments core already checked. */
export const TRUSTED: unique symbol = Symbol.for("exprun.trustedBackend");

/**
 * A backend behind core's checks: every method of {@link Backend}, with the optional ones always
 * present, plus the closed state. Get one with {@link checkBackend}.
 */
export interface CheckedBackend extends Backend {
  readonly [CHECKED_BACKEND]: true;
  readonly capabilities: Readonly<BackendCapabilities>;
  /** True once `close()` resolved: every later call rejects with `BackendClosedError`. */
  readonly closed: boolean;
  latestTimeSeries(ref: RunRef): Promise<Record<string, SeriesPoint>>;
  flush(): Promise<void>;
  /** Flushes and releases the store; resolves at once when already closed. */
  close(): Promise<void>;
}

/** A checked backend that keeps the extra members of the store it wraps (a file store's `root`, …). */
export type Checked<B extends Backend> = CheckedBackend & Omit<B, keyof Backend>;

/** @internal What core calls directly after it checked the arguments itself (the logging hot path). */
export interface TrustedBackend {
  appendTimeSeries(ref: RunRef, writes: TimeSeriesWrite[]): Promise<void>;
}

/** How many runs' latest points core reads at once when a store's `listRuns` leaves them out. */
const LATEST_FILL_CONCURRENCY = 8;

const wrapped = new WeakMap<object, CheckedBackend>();
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * A page from a store, as the contract shapes it (`{ items: [...], nextPageToken? }`); anything else is
 * the store's bug, a `BackendError` here rather than a raw TypeError in the caller.
 */
function pageOf<T>(backend: string, method: string, page: Page<T>): Page<T> {
  const token = (page as Partial<Page<T>> | null)?.nextPageToken;
  if (
    typeof page === "object" &&
    page !== null &&
    Array.isArray(page.items) &&
    (token === undefined || token === null || typeof token === "string")
  )
    return page;
  throw new BackendError(
    `The ${backend} store's ${method}() returned ${typeName(page)}, not a page { items: [...], nextPageToken? }. This is a bug in the store.`,
    { backend },
  );
}

/** True when `value` is a checked backend (made by this or any other copy of core). */
export function isCheckedBackend(value: unknown): value is CheckedBackend {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [CHECKED_BACKEND]?: unknown })[CHECKED_BACKEND] === true
  );
}

/** @internal The trusted entry of a checked backend (absent on one from an older copy of core). */
export function trustedOf(backend: CheckedBackend): TrustedBackend | undefined {
  return (backend as { [TRUSTED]?: TrustedBackend })[TRUSTED];
}

/**
 * Wraps a store in core's checks. Idempotent: a checked backend is returned as it is, and wrapping
 * the same store twice returns the same checked backend (so they share one closed state).
 */
export function checkBackend<B extends Backend>(backend: B): Checked<B> {
  if (isCheckedBackend(backend)) return backend as unknown as Checked<B>;
  const known = typeof backend === "object" && backend !== null ? wrapped.get(backend) : undefined;
  if (known) return known as Checked<B>;
  const checked = createGateway(backend);
  wrapped.set(backend, checked);
  return checked as Checked<B>;
}

function createGateway(raw: Backend): CheckedBackend {
  const name = storeName(raw);
  const capabilities = readCapabilities(raw, name);
  for (const method of REQUIRED_METHODS) {
    if (typeof (raw as unknown as Record<string, unknown>)[method] !== "function") {
      throw new ValidationError(
        `The ${name} backend does not implement ${method}(), which every Backend needs (see @exprun/core's backend.ts).`,
        { backend: name },
      );
    }
  }
  const rules: InputRules = { capabilities, backend: name };
  const gate = new Gate(name);
  const call = gate.call.bind(gate);
  // Runs known to have a TensorBoard run, so `requiresTensorboard` costs one read per run, not per append.
  const withTensorboard = new Set<string>();
  const refKey = (ref: RunRef) => `${ref.experiment}\u0000${ref.run}\u0000${ref.incarnation ?? ""}`;

  async function requireTensorboard(ref: RunRef): Promise<void> {
    if (!capabilities.requiresTensorboard || withTensorboard.has(refKey(ref))) return;
    const record = await raw.getRun(ref);
    if (record?.tensorboardRun) {
      withTensorboard.add(refKey(ref));
      return;
    }
    if (!record) return; // the store reports the missing run in its own call
    throw new ValidationError(
      `Run ${ref.run} has no backing TensorBoard, which the ${name} backend needs for time series. ` +
        "Assign one first (run.assignBackingTensorboard(tensorboard), or { tensorboard } when creating the run).",
      { backend: name },
    );
  }

  async function checkLabelLimit(
    ref: RunRef,
    tags: Record<string, string | null> | undefined,
  ): Promise<void> {
    if (!capabilities.tagsAsLabels || !tags || !Object.values(tags).some((v) => v !== null)) return;
    const current = await raw.getRun(ref);
    if (current) checkLabelCount(Object.keys(applyTags(current.tags ?? {}, tags)).length, name);
  }

  async function fillLatest(ref: RunRef | string, page: Page<RunRecord>): Promise<Page<RunRecord>> {
    const missing = page.items.filter((r) => r.latestTimeSeries === undefined);
    const experiment = typeof ref === "string" ? ref : ref.experiment;
    await mapLimit(missing, LATEST_FILL_CONCURRENCY, async (record) => {
      record.latestTimeSeries = await latestOf(raw, { experiment, run: record.name });
    });
    return page;
  }

  const methods: Omit<CheckedBackend, typeof CHECKED_BACKEND> = {
    name,
    capabilities,
    get closed() {
      return gate.closed;
    },

    createExperiment: async (experiment) => {
      const input = checkNewExperiment(experiment);
      return call("createExperiment", () => raw.createExperiment(input));
    },
    getExperiment: async (experiment) => {
      validateNameShape("experiment", experiment);
      return call("getExperiment", () => raw.getExperiment(experiment));
    },
    listExperiments: async (page) => {
      const request = checkPageRequest(page);
      return call("listExperiments", async () =>
        pageOf(name, "listExperiments", await raw.listExperiments(request)),
      );
    },
    updateExperiment: async (experiment, patch) => {
      validateNameShape("experiment", experiment);
      const input = checkExperimentPatch(patch);
      return call("updateExperiment", () => raw.updateExperiment(experiment, input));
    },
    deleteExperiment: async (experiment, options) => {
      validateNameShape("experiment", experiment);
      const input = checkDeleteOptions(options, "deleteBackingTensorboardRuns");
      return call("deleteExperiment", () => raw.deleteExperiment(experiment, input));
    },

    createRun: async (experiment, run) => {
      const input = checkNewRun(experiment, run, rules);
      return call("createRun", async () => normalizeRun(await raw.createRun(experiment, input)));
    },
    getRun: async (ref) => {
      const target = checkRunRef(ref);
      return call("getRun", async () => {
        const record = await raw.getRun(target);
        if (!record) return undefined;
        // A run re-created since the caller's incarnation is a different run.
        if (target.incarnation && record.incarnation && record.incarnation !== target.incarnation)
          return undefined;
        return normalizeRun(record);
      });
    },
    listRuns: async (experiment, page) => {
      validateNameShape("experiment", experiment);
      const request = checkRunListRequest(page);
      return call("listRuns", async () => {
        const result = pageOf(name, "listRuns", await raw.listRuns(experiment, request));
        for (const record of result.items) normalizeRun(record);
        return request.withLatestTimeSeries ? fillLatest(experiment, result) : result;
      });
    },
    updateRun: async (ref, patch) => {
      const target = checkRunRef(ref);
      const input = checkRunPatch(patch, rules);
      return call("updateRun", async () => {
        await checkLabelLimit(target, input.tags);
        return normalizeRun(await raw.updateRun(target, input));
      });
    },
    deleteRun: async (ref, options) => {
      const target = checkRunRef(ref);
      const input = checkDeleteOptions(options, "deleteBackingTensorboardRun");
      return call("deleteRun", () => raw.deleteRun(target, input));
    },
    assignRunTensorboard: async (ref, tensorboard) => {
      const target = checkRunRef(ref);
      const input = checkTensorboardName(tensorboard);
      return call("assignRunTensorboard", async () => {
        const result = await raw.assignRunTensorboard(target, input);
        withTensorboard.add(refKey(target));
        return result;
      });
    },

    appendTimeSeries: async (ref, writes) => {
      const target = checkRunRef(ref);
      const input = checkSeriesWrites(writes);
      return call("appendTimeSeries", async () => {
        await requireTensorboard(target);
        return raw.appendTimeSeries(target, input);
      });
    },
    readSeries: (ref, query) =>
      checkedSeries(
        () => checkRunRef(ref),
        (target, q) => raw.readSeries(target, q),
        query,
        name,
        (next) => call("readSeries", next),
      ),
    latestTimeSeries: async (ref) => {
      const target = checkRunRef(ref);
      return call("latestTimeSeries", () => latestOf(raw, target));
    },

    createArtifact: async (artifact) => {
      const input = checkNewArtifact(artifact, rules);
      return call("createArtifact", () => raw.createArtifact(input));
    },
    getArtifact: async (id) => {
      const input = checkIdRef(id, "artifact");
      return call("getArtifact", () => raw.getArtifact(input));
    },
    listArtifacts: async (query) => {
      const input = checkResourceQuery(query);
      return call("listArtifacts", async () => pageOf(name, "listArtifacts", await raw.listArtifacts(input)));
    },
    createExecution: async (execution) => {
      const input = checkNewExecution(execution, rules);
      return call("createExecution", () => raw.createExecution(input));
    },
    getExecution: async (id) => {
      const input = checkIdRef(id, "execution");
      return call("getExecution", () => raw.getExecution(input));
    },
    listExecutions: async (query) => {
      const input = checkResourceQuery(query);
      return call("listExecutions", async () =>
        pageOf(name, "listExecutions", await raw.listExecutions(input)),
      );
    },
    updateExecution: async (id, patch) => {
      const target = checkIdRef(id, "execution");
      const input = checkExecutionPatch(patch, rules);
      return call("updateExecution", () => raw.updateExecution(target, input));
    },
    addExecutionEvents: async (id, events) => {
      const target = checkIdRef(id, "execution");
      const input = checkEvents(events);
      return call("addExecutionEvents", () => raw.addExecutionEvents(target, input));
    },
    attributeToRun: async (ref, links) => {
      const target = checkRunRef(ref);
      const input = checkLinks(links);
      return call("attributeToRun", () => raw.attributeToRun(target, input));
    },
    addRunChildren: async (ref, children) => {
      const target = checkRunRef(ref);
      const input = checkChildren(children, rules);
      return call("addRunChildren", () => raw.addRunChildren(target, input));
    },
    listRunChildren: async (ref, options) => {
      const target = checkRunRef(ref);
      const input = checkChildrenQuery(options);
      return call("listRunChildren", async () => {
        const children = await raw.listRunChildren(target, input);
        const title = input.schemaTitle;
        return title === undefined ? children : children.filter((c) => c.schemaTitle === title);
      });
    },

    flush: () =>
      call("flush", async () => {
        await raw.flush?.();
      }),
    close: () =>
      gate.close(async () => {
        await raw.close?.();
      }),
  };
  // The brand is not enumerable, so `{ ...checked, getRun }` (a store built on a checked one) is not
  // mistaken for a checked backend.
  const checked = Object.defineProperty(methods, CHECKED_BACKEND, { value: true }) as CheckedBackend;
  for (const key of ["project", "location"] as const) {
    Object.defineProperty(checked, key, { get: () => raw[key], enumerable: true });
  }
  // Printing the credentials shows their kind, never key material (the object itself is unchanged).
  Object.defineProperty(checked, "credentials", {
    get: () => protectCredentials(raw.credentials),
    enumerable: true,
  });
  Object.defineProperty(checked, TRUSTED, {
    value: Object.freeze({
      // The hot path (core checked the arguments): the store's own promise goes back to the caller,
      // without a second promise in between; still refused when closed, still counted for close().
      appendTimeSeries: (ref: RunRef, writes: TimeSeriesWrite[]) =>
        gate.refuses ? gate.closedError() : gate.track(raw.appendTimeSeries(ref, writes)),
    } satisfies TrustedBackend),
  });
  copyExtras(raw, checked, gate);
  const describe = () => ({
    name,
    capabilities,
    closed: gate.closed,
    credentials: describeCredentials(raw.credentials),
  });
  Object.defineProperty(checked, INSPECT, { value: () => `CheckedBackend ${JSON.stringify(describe())}` });
  Object.defineProperty(checked, "toJSON", { value: () => ({ name, capabilities }) });
  return Object.freeze(checked);
}
