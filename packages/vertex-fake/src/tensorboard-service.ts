import { randomUUID } from "node:crypto";
import { type Clock, numericId, toMillis } from "./clock.js";
import { alreadyExists, invalidArgument, notFound, shown } from "./errors.js";
import type { FieldSpec, FilterSchema } from "./filter.js";
import { listPage } from "./listing.js";
import type { Operations } from "./lro.js";
import { type NameKind, parentOf, requireName } from "./names.js";
import type { Protos } from "./protos.js";
import type { Handlers, Request } from "./rpc.js";
import type { VertexStore } from "./store.js";
import { tensorboardData } from "./tensorboard-data.js";
import type { Tensorboard, TensorboardExperiment, TensorboardRun, TensorboardTimeSeries } from "./types.js";

export interface TensorboardServiceOptions {
  /** Seed of the sampling applied past the read limits. */
  samplingSeed: number;
  /** Whether `…/experiments/{e}/runs/-` lists the series of every run of the experiment (AIP-159). */
  wildcardParents: boolean;
}

/** TensorBoard experiment and run ids: `[a-z0-9][a-z0-9-]{0,127}`. */
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,127}$/;
const VALUE_TYPES = new Set(["SCALAR", "TENSOR", "BLOB_SEQUENCE"]);
/** BatchCreateTensorboardRuns / BatchCreateTensorboardTimeSeries create at most this many per call. */
const MAX_BATCH_CREATE = 1000;

function checkBatchSize(requests: unknown[], what: string): void {
  if (requests.length > MAX_BATCH_CREATE) {
    throw invalidArgument(
      `A maximum of ${MAX_BATCH_CREATE} ${what} can be created in a batch, got ${requests.length}.`,
    );
  }
}

interface Named {
  name: string;
  displayName: string;
  createTime: { seconds: number; nanos: number } | null;
  updateTime: { seconds: number; nanos: number } | null;
  labels?: Record<string, string>;
}

function schema<T extends Named>(extra: Record<string, FieldSpec<T>> = {}): FilterSchema<T> {
  return {
    fields: (path) => {
      const [head, key, ...rest] = path;
      if (head === "labels" && key !== undefined && rest.length === 0) {
        return { type: "string", get: (item) => item.labels?.[key] ?? null };
      }
      if (path.length !== 1) return undefined;
      const common: Record<string, FieldSpec<T>> = {
        name: { type: "string", get: (item) => item.name },
        display_name: { type: "string", get: (item) => item.displayName },
        create_time: { type: "time", get: (item) => toMillis(item.createTime) },
        update_time: { type: "time", get: (item) => toMillis(item.updateTime) },
        ...extra,
      };
      return common[head!];
    },
  };
}

const camel = (path: string) => path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The handlers of `google.cloud.aiplatform.v1.TensorboardService`, keyed by method name. */
export function tensorboardService(
  store: VertexStore,
  clock: Clock,
  operations: Operations,
  protos: Protos,
  options: TensorboardServiceOptions,
): Handlers {
  const canonical = (name: string) => store.canonical(name);

  function found<T>(kind: NameKind, label: string, name: string, get: (name: string) => T | undefined): T {
    requireName(name, kind, "name");
    const item = get(name);
    if (!item) throw notFound(`${label} ${canonical(name)} not found.`);
    return item;
  }
  const tensorboard = (name: string) =>
    found("tensorboard", "Tensorboard", name, (n) => store.getTensorboard(n));
  const experiment = (name: string) =>
    found("tensorboardExperiment", "TensorboardExperiment", name, (n) => store.getTensorboardExperiment(n));
  const run = (name: string) =>
    found("tensorboardRun", "TensorboardRun", name, (n) => store.getTensorboardRun(n));
  const series = (name: string) =>
    found("tensorboardTimeSeries", "TensorboardTimeSeries", name, (n) => store.getTensorboardTimeSeries(n));

  function checkId(id: string, field: string): void {
    if (!ID_PATTERN.test(id)) {
      throw invalidArgument(
        `Invalid ${field} ${shown(id)}. Field: ${field}; Message: Valid characters are /[a-z][0-9]-/, 1-128 characters, starting with a letter or digit.`,
      );
    }
  }

  /** Copies the mask's fields (or, for creates, every writable field) from `given` onto `target`. */
  function applyMask<T extends object>(target: T, given: Partial<T>, paths: string[], writable: string[]): T {
    if (paths.length === 0) throw invalidArgument("update_mask is required.");
    for (const path of paths) {
      const field = camel(path);
      if (!writable.includes(field)) throw invalidArgument(`Invalid update_mask path "${path}".`);
      (target as Record<string, unknown>)[field] = structuredClone((given as Record<string, unknown>)[field]);
    }
    return target;
  }
  const touched = <T extends { etag: string; updateTime: unknown }>(item: T): T => ({
    ...item,
    etag: clock.nextEtag(),
    updateTime: clock.now(),
  });

  function createRun(parent: string, given: Partial<TensorboardRun> | null, id: string): TensorboardRun {
    const exp = experiment(parent);
    checkId(id, "tensorboard_run_id");
    const name = `${exp.name}/runs/${id}`;
    if (store.getTensorboardRun(name)) throw alreadyExists(`TensorboardRun ${name} already exists.`);
    return {
      ...fresh(),
      displayName: given?.displayName || id,
      description: given?.description ?? "",
      labels: given?.labels ?? {},
      name,
    };
  }

  function createSeries(
    parent: string,
    given: Partial<TensorboardTimeSeries> | null,
    id: string,
    pending: TensorboardTimeSeries[],
  ): TensorboardTimeSeries {
    const owner = run(parent);
    const displayName = given?.displayName ?? "";
    if (displayName === "") throw invalidArgument("TensorboardTimeSeries display_name is required.");
    const valueType = given?.valueType ?? "VALUE_TYPE_UNSPECIFIED";
    if (!VALUE_TYPES.has(valueType)) throw invalidArgument("TensorboardTimeSeries value_type is required.");
    const siblings = [
      ...store.listTensorboardTimeSeries(owner.name),
      ...pending.filter((s) => parentOf(s.name) === owner.name),
    ];
    if (siblings.some((s) => s.displayName === displayName)) {
      throw invalidArgument(
        `TensorboardTimeSeries with display name "${displayName}" already exist in TensorboardRun ${owner.name}.`,
      );
    }
    if (id !== "") checkId(id, "tensorboard_time_series_id");
    const name = `${owner.name}/timeSeries/${id || numericId()}`;
    if (store.getTensorboardTimeSeries(name) || pending.some((s) => s.name === name)) {
      throw alreadyExists(`TensorboardTimeSeries ${name} already exists.`);
    }
    return {
      ...fresh(),
      name,
      displayName,
      description: given?.description ?? "",
      valueType,
      pluginName: given?.pluginName ?? "",
      pluginData: given?.pluginData ?? new Uint8Array(),
      metadata: null,
    };
  }

  function fresh() {
    const now = clock.now();
    return { createTime: now, updateTime: now, etag: clock.nextEtag() };
  }

  const deleted = (name: string, remove: (name: string) => void) => {
    remove(name);
    return operations.deleted(name);
  };

  return {
    // ---- tensorboards ----
    CreateTensorboard: (r: Request) => {
      requireName(r.parent, "location", "parent");
      const given: Partial<Tensorboard> = r.tensorboard ?? {};
      if (!given.displayName) throw invalidArgument("Tensorboard display_name is required.");
      const created = store.putTensorboard({
        ...fresh(),
        name: `${canonical(r.parent)}/tensorboards/${numericId()}`,
        displayName: given.displayName,
        description: given.description ?? "",
        labels: given.labels ?? {},
        isDefault: given.isDefault ?? false,
        blobStoragePathPrefix: `cloud-ai-platform-${randomUUID()}`,
      });
      return operations.finished(
        created.name,
        "google.cloud.aiplatform.v1.Tensorboard",
        protos.encode("Tensorboard", created),
      );
    },
    GetTensorboard: (r: Request) => tensorboard(r.name),
    ListTensorboards: (r: Request) => {
      requireName(r.parent, "location", "parent");
      const page = listPage(
        store.listTensorboards(r.parent),
        r,
        canonical(r.parent),
        schema<Tensorboard>({ is_default: { type: "bool", get: (t) => t.isDefault } }),
        { defaultPageSize: 100, maxPageSize: 100 },
      );
      return { tensorboards: page.items, nextPageToken: page.nextPageToken };
    },
    UpdateTensorboard: (r: Request) => {
      const current = tensorboard(r.tensorboard?.name ?? "");
      const writable = ["displayName", "description", "labels", "isDefault"];
      const updated = store.putTensorboard(
        touched(applyMask(current, r.tensorboard, r.updateMask?.paths ?? [], writable)),
      );
      return operations.finished(
        updated.name,
        "google.cloud.aiplatform.v1.Tensorboard",
        protos.encode("Tensorboard", updated),
      );
    },
    DeleteTensorboard: (r: Request) => deleted(tensorboard(r.name).name, (n) => store.deleteTensorboard(n)),

    // ---- experiments ----
    CreateTensorboardExperiment: (r: Request) => {
      const owner = tensorboard(r.parent);
      const id: string = r.tensorboardExperimentId;
      checkId(id, "tensorboard_experiment_id");
      const name = `${owner.name}/experiments/${id}`;
      if (store.getTensorboardExperiment(name))
        throw alreadyExists(`TensorboardExperiment ${name} already exists.`);
      const given: Partial<TensorboardExperiment> = r.tensorboardExperiment ?? {};
      return store.putTensorboardExperiment({
        ...fresh(),
        name,
        displayName: given.displayName ?? "",
        description: given.description ?? "",
        labels: given.labels ?? {},
        source: given.source ?? "",
      });
    },
    GetTensorboardExperiment: (r: Request) => experiment(r.name),
    ListTensorboardExperiments: (r: Request) => {
      const owner = tensorboard(r.parent);
      const page = listPage(store.listTensorboardExperiments(owner.name), r, owner.name, schema(), {
        defaultPageSize: 50,
        maxPageSize: 1000,
      });
      return { tensorboardExperiments: page.items, nextPageToken: page.nextPageToken };
    },
    UpdateTensorboardExperiment: (r: Request) => {
      const current = experiment(r.tensorboardExperiment?.name ?? "");
      const writable = ["displayName", "description", "labels"];
      return store.putTensorboardExperiment(
        touched(applyMask(current, r.tensorboardExperiment, r.updateMask?.paths ?? [], writable)),
      );
    },
    DeleteTensorboardExperiment: (r: Request) =>
      deleted(experiment(r.name).name, (n) => store.deleteTensorboardExperiment(n)),

    // ---- runs ----
    CreateTensorboardRun: (r: Request) =>
      store.putTensorboardRun(createRun(r.parent, r.tensorboardRun, r.tensorboardRunId)),
    BatchCreateTensorboardRuns: (r: Request) => {
      const parent = experiment(r.parent).name;
      checkBatchSize(r.requests, "TensorboardRuns");
      const runs = (r.requests as Request[]).map((request) => {
        if (request.parent && canonical(request.parent) !== parent) {
          throw invalidArgument(`Request parent ${request.parent} does not match ${parent}.`);
        }
        return createRun(parent, request.tensorboardRun, request.tensorboardRunId);
      });
      if (new Set(runs.map((x) => x.name)).size !== runs.length)
        throw alreadyExists("Duplicate run ids in the batch.");
      return { tensorboardRuns: runs.map((x) => store.putTensorboardRun(x)) };
    },
    GetTensorboardRun: (r: Request) => run(r.name),
    ListTensorboardRuns: (r: Request) => {
      const owner = experiment(r.parent);
      const page = listPage(store.listTensorboardRuns(owner.name), r, owner.name, schema(), {
        defaultPageSize: 50,
        maxPageSize: 1000,
      });
      return { tensorboardRuns: page.items, nextPageToken: page.nextPageToken };
    },
    UpdateTensorboardRun: (r: Request) => {
      const current = run(r.tensorboardRun?.name ?? "");
      const writable = ["displayName", "description", "labels"];
      return store.putTensorboardRun(
        touched(applyMask(current, r.tensorboardRun, r.updateMask?.paths ?? [], writable)),
      );
    },
    DeleteTensorboardRun: (r: Request) => deleted(run(r.name).name, (n) => store.deleteTensorboardRun(n)),

    // ---- time series ----
    CreateTensorboardTimeSeries: (r: Request) =>
      store.putTensorboardTimeSeries(
        createSeries(r.parent, r.tensorboardTimeSeries, r.tensorboardTimeSeriesId, []),
      ),
    BatchCreateTensorboardTimeSeries: (r: Request) => {
      const parent = experiment(r.parent).name;
      checkBatchSize(r.requests, "TensorboardTimeSeries");
      const pending: TensorboardTimeSeries[] = [];
      for (const request of r.requests as Request[]) {
        const runName = canonical(request.parent ?? "");
        if (!runName.startsWith(`${parent}/runs/`)) {
          throw invalidArgument(`Request parent ${request.parent} is not a run of ${parent}.`);
        }
        pending.push(
          createSeries(runName, request.tensorboardTimeSeries, request.tensorboardTimeSeriesId, pending),
        );
      }
      return { tensorboardTimeSeries: pending.map((s) => store.putTensorboardTimeSeries(s)) };
    },
    GetTensorboardTimeSeries: (r: Request) => series(r.name),
    ListTensorboardTimeSeries: (r: Request) => {
      const parent: string = r.parent ?? "";
      // AIP-159: "-" for the run reads across every run of the experiment (only when enabled).
      const acrossRuns = options.wildcardParents && parent.endsWith("/runs/-");
      const owner = acrossRuns ? experiment(parentOf(parent)) : run(parent);
      const items = acrossRuns
        ? store.listTensorboardRuns(owner.name).flatMap((x) => store.listTensorboardTimeSeries(x.name))
        : store.listTensorboardTimeSeries(owner.name);
      const page = listPage(
        items,
        r,
        acrossRuns ? `${owner.name}/runs/-` : owner.name,
        schema<TensorboardTimeSeries & Named>({
          value_type: { type: "string", get: (s) => s.valueType },
          plugin_name: { type: "string", get: (s) => s.pluginName },
        }),
        { defaultPageSize: 50, maxPageSize: 1000 },
      );
      return { tensorboardTimeSeries: page.items, nextPageToken: page.nextPageToken };
    },
    UpdateTensorboardTimeSeries: (r: Request) => {
      const current = series(r.tensorboardTimeSeries?.name ?? "");
      const writable = ["displayName", "description", "pluginData"];
      return store.putTensorboardTimeSeries(
        touched(applyMask(current, r.tensorboardTimeSeries, r.updateMask?.paths ?? [], writable)),
      );
    },
    DeleteTensorboardTimeSeries: (r: Request) =>
      deleted(series(r.name).name, (n) => store.deleteTensorboardTimeSeries(n)),

    ...tensorboardData(store, { run, experiment, series, tensorboard }, options.samplingSeed),
  };
}
