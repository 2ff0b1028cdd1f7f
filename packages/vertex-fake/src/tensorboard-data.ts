import { createHash } from "node:crypto";
import { toMillis } from "./clock.js";
import { invalidArgument, notFound } from "./errors.js";
import { seededRandom } from "./failures.js";
import { compileFilter, type FilterSchema } from "./filter.js";
import { listPage } from "./listing.js";
import { idOf } from "./names.js";
import type { Handlers, Request } from "./rpc.js";
import type { VertexStore } from "./store.js";
import type {
  Tensorboard,
  TensorboardExperiment,
  TensorboardRun,
  TensorboardTimeSeries,
  TimeSeriesDataPoint,
} from "./types.js";

/** WriteTensorboardRunData accepts at most this many points per request (all series together). */
export const MAX_POINTS_PER_WRITE = 5000;
/** BatchReadTensorboardTimeSeriesData reads at most this many series per call. */
export const MAX_SERIES_PER_BATCH_READ = 20;
/** Points returned per series by the sampled reads, by value type. */
const SAMPLED_LIMIT = { SCALAR: 1000, TENSOR: 100, BLOB_SEQUENCE: 100 } as const;
const MAX_READ_POINTS = 10_000;

interface Lookups {
  tensorboard(name: string): Tensorboard;
  experiment(name: string): TensorboardExperiment;
  run(name: string): TensorboardRun;
  series(name: string): TensorboardTimeSeries;
}

interface TimeSeriesData {
  tensorboardTimeSeriesId: string;
  valueType: string;
  values: TimeSeriesDataPoint[];
}

const pointSchema: FilterSchema<TimeSeriesDataPoint> = {
  fields: (path) => {
    if (path.length !== 1) return undefined;
    if (path[0] === "step") return { type: "number", get: (p) => p.step };
    if (path[0] === "wall_time") return { type: "time", get: (p) => toMillis(p.wallTime) };
    return undefined;
  },
};

/** The data methods: writes with the service's limits, sampled reads, and the complete export. */
export function tensorboardData(store: VertexStore, find: Lookups, samplingSeed: number): Handlers {
  const random = seededRandom(samplingSeed);

  /** Checks one run's write and returns the points to store per series; changes nothing. */
  function checkRunWrite(runName: string, data: TimeSeriesData[]): [string, TimeSeriesDataPoint[]][] {
    const run = find.run(runName);
    const total = data.reduce((sum, d) => sum + (d.values?.length ?? 0), 0);
    if (total > MAX_POINTS_PER_WRITE) {
      throw invalidArgument(
        `Too many data points in one request: ${total}. The maximum is ${MAX_POINTS_PER_WRITE} TimeSeriesDataPoints per WriteTensorboardRunData request.`,
      );
    }
    return data.map((d) => {
      const seriesName = `${run.name}/timeSeries/${d.tensorboardTimeSeriesId}`;
      const series = store.getTensorboardTimeSeries(seriesName);
      if (!series) throw notFound(`TensorboardTimeSeries ${seriesName} not found.`);
      if (d.valueType !== series.valueType) {
        throw invalidArgument(
          `TimeSeriesData value_type ${d.valueType} does not match the value_type ${series.valueType} of ${seriesName}.`,
        );
      }
      const points = (d.values ?? []).map((p) => normalize(p, series));
      return [seriesName, points];
    });
  }

  function sampled(series: TensorboardTimeSeries, limit: number): TimeSeriesData {
    const points = store.scanPoints(series.name);
    return {
      tensorboardTimeSeriesId: idOf(series.name),
      valueType: series.valueType,
      values: sample(points, limit, random),
    };
  }

  return {
    WriteTensorboardRunData: (r: Request) => {
      const writes = checkRunWrite(r.tensorboardRun, r.timeSeriesData);
      for (const [series, points] of writes) store.putTensorboardPoints(series, points);
      return {};
    },
    WriteTensorboardExperimentData: (r: Request) => {
      const experiment = find.experiment(r.tensorboardExperiment);
      const writes = (r.writeRunDataRequests as Request[]).flatMap((w) => {
        if (!store.canonical(w.tensorboardRun).startsWith(`${experiment.name}/runs/`)) {
          throw invalidArgument(`TensorboardRun ${w.tensorboardRun} is not in ${experiment.name}.`);
        }
        return checkRunWrite(w.tensorboardRun, w.timeSeriesData);
      });
      for (const [series, points] of writes) store.putTensorboardPoints(series, points);
      return {};
    },
    BatchReadTensorboardTimeSeriesData: (r: Request) => {
      const tensorboard = find.tensorboard(r.tensorboard);
      const names = r.timeSeries as string[];
      if (names.length > MAX_SERIES_PER_BATCH_READ) {
        throw invalidArgument(`Maximum of ${MAX_SERIES_PER_BATCH_READ} TensorboardTimeSeries to read.`);
      }
      const all = names.map((name) => {
        const series = find.series(name);
        if (!series.name.startsWith(`${tensorboard.name}/`)) {
          throw invalidArgument(`TensorboardTimeSeries ${series.name} is not in ${tensorboard.name}.`);
        }
        return series;
      });
      return { timeSeriesData: all.map((series) => sampled(series, SAMPLED_LIMIT[limitKey(series)])) };
    },
    ReadTensorboardTimeSeriesData: (r: Request) => {
      const series = find.series(r.tensorboardTimeSeries);
      const requested: number = r.maxDataPoints ?? 0;
      if (requested < -1) throw invalidArgument(`max_data_points must be positive or -1, got ${requested}.`);
      const predicate = compileFilter(r.filter ?? "", pointSchema);
      const points = store.scanPoints(series.name).filter(predicate);
      const limit = requested === -1 ? points.length : Math.min(requested || 1000, MAX_READ_POINTS);
      return {
        timeSeriesData: {
          tensorboardTimeSeriesId: idOf(series.name),
          valueType: series.valueType,
          values: sample(points, limit, random),
        },
      };
    },
    ExportTensorboardTimeSeriesData: (r: Request) => {
      const series = find.series(r.tensorboardTimeSeries);
      const points = store.scanPoints(series.name);
      // Without order_by the service answers in a pseudo-random order; it is stable across pages.
      const ordered = r.orderBy ? points : shuffled(points, series.name);
      const page = listPage(ordered, r, series.name, pointSchema, {
        defaultPageSize: 1000,
        maxPageSize: 10_000,
      });
      return { timeSeriesDataPoints: page.items, nextPageToken: page.nextPageToken };
    },
  };
}

function limitKey(series: TensorboardTimeSeries): keyof typeof SAMPLED_LIMIT {
  return series.valueType === "TENSOR" || series.valueType === "BLOB_SEQUENCE" ? series.valueType : "SCALAR";
}

/** Keeps the one value member matching the series type; rejects points that carry another. */
function normalize(point: TimeSeriesDataPoint, series: TensorboardTimeSeries): TimeSeriesDataPoint {
  const base = { step: Number(point.step), wallTime: point.wallTime };
  if (series.valueType === "SCALAR" && point.scalar)
    return { ...base, scalar: { value: point.scalar.value } };
  if (series.valueType === "TENSOR" && point.tensor) return { ...base, tensor: point.tensor };
  if (series.valueType === "BLOB_SEQUENCE" && point.blobs) return { ...base, blobs: point.blobs };
  throw invalidArgument(
    `A data point at step ${point.step} has no ${series.valueType} value for ${series.name}.`,
  );
}

/** `limit` points chosen uniformly at random (like the service's sampling), in step order. */
function sample(points: TimeSeriesDataPoint[], limit: number, random: () => number): TimeSeriesDataPoint[] {
  if (points.length <= limit) return points;
  const indices = points.map((_, i) => i);
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(random() * (indices.length - i));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices
    .slice(0, limit)
    .sort((a, b) => a - b)
    .map((i) => points[i]!);
}

/** A deterministic shuffle keyed by the series name. */
function shuffled(points: TimeSeriesDataPoint[], key: string): TimeSeriesDataPoint[] {
  const random = seededRandom(createHash("sha256").update(key).digest().readUInt32LE(0));
  const out = [...points];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
