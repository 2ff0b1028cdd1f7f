import {
  type Backend,
  type Expr,
  evaluate,
  type FilterRow,
  FilterSyntaxError,
  parseFilter,
  type RunRecord,
  sortKeyCheck,
  type Value,
} from "@exprun/core";
import { ApiError } from "./query.js";
import { compareOrder, decodeCursor, encodeCursor, orderNeedsSeries, parseOrder } from "./run-order.js";

/** Runs read per listing call while scanning an experiment. */
export const SCAN_PAGE_SIZE = 1000;

/** Every run of an experiment, page by page, in the store's order; memory holds one page. */
export async function* scanRuns(
  backend: Backend,
  experiment: string,
  withLatestTimeSeries: boolean,
): AsyncGenerator<RunRecord> {
  let pageToken: string | undefined;
  do {
    const page = await backend.listRuns(experiment, {
      pageSize: SCAN_PAGE_SIZE,
      ...(pageToken ? { pageToken } : {}),
      ...(withLatestTimeSeries ? { withLatestTimeSeries } : {}),
    });
    yield* page.items;
    pageToken = page.nextPageToken || undefined;
  } while (pageToken);
}

/** A filter from the `filter` query parameter, or a 400 `BAD_FILTER` that points at the column. */
export function parseFilterParam(text: string | undefined): Expr | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  try {
    return parseFilter(text);
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      throw new ApiError(400, "BAD_FILTER", error.message, "filter");
    }
    throw error;
  }
}

/** Whether a filter reads latest time-series values. */
export function filterNeedsSeries(expr: Expr | undefined): boolean {
  if (!expr) return false;
  switch (expr.type) {
    case "and":
    case "or":
      return filterNeedsSeries(expr.left) || filterNeedsSeries(expr.right);
    case "not":
      return filterNeedsSeries(expr.expr);
    case "cmp":
    case "in":
    case "like":
      return expr.field.kind === "series";
  }
}

export interface RunsPageRequest {
  filter?: string | undefined;
  sort: string;
  limit: number;
  after?: string | undefined;
  /** Pages from the end of the order (the rows come last first): a table jumps to its end at once. */
  reverse?: boolean | undefined;
  /** `param.K`, `metric.K` or `series.K` columns to return; default: every param and metric. */
  columns?: string[] | undefined;
  /** Also return every column name the matching runs have. */
  withColumns: boolean;
}

export interface RunsPage {
  /** Runs that match the filter (all pages). */
  total: number;
  /** Runs in the experiment. */
  scanned: number;
  columns: string[];
  /** `[name, state, createTime, updateTime, ...values of columns]`; a missing value is `null`. */
  rows: (Value | null)[][];
  /** The cursor of the next page; absent on the last page. */
  next?: string;
  /** With `withColumns`: every column the matching runs have (params, metrics, series, tags), each sorted. */
  allColumns?: { params: string[]; metrics: string[]; series: string[]; tags: string[] };
}

/** Default columns when none are asked for (the picker offers the rest). */
export const DEFAULT_COLUMN_LIMIT = 100;
export const MAX_COLUMNS = 300;

/**
 * One page of the runs table: filter, order and keyset position applied while the runs stream past,
 * keeping only the best `limit` rows (memory grows with the page, not with the experiment).
 */
export async function readRunsPage(
  backend: Backend,
  experiment: string,
  request: RunsPageRequest,
): Promise<RunsPage> {
  const keys = parseOrder(request.sort);
  const filter = parseFilterParam(request.filter);
  // A cursor belongs to one direction of one order.
  const sortId = request.reverse ? `reverse:${request.sort}` : request.sort;
  const direction = request.reverse ? -1 : 1;
  const order = (a: FilterRow, b: FilterRow) => direction * compareOrder(keys, a, b);
  const after = request.after === undefined ? undefined : decodeCursor(request.after, sortId, keys);
  const wantsSeries =
    orderNeedsSeries(keys) ||
    filterNeedsSeries(filter) ||
    (request.columns ?? []).some((c) => c.startsWith("series."));
  const best: { row: FilterRow; run: RunRecord }[] = [];
  const params = new Set<string>();
  const metrics = new Set<string>();
  const series = new Set<string>();
  const tags = new Set<string>();
  let total = 0;
  let scanned = 0;
  let remaining = 0;
  const sortKeys = sortKeyCheck(keys);
  for await (const run of scanRuns(backend, experiment, wantsSeries)) {
    scanned++;
    const row: FilterRow = run;
    if (filter && !evaluate(filter, row)) continue;
    total++;
    sortKeys.see(row);
    if (request.withColumns || request.columns === undefined) {
      for (const k in run.params) params.add(k);
      for (const k in run.metrics) metrics.add(k);
      if (run.latestTimeSeries) for (const k in run.latestTimeSeries) series.add(k);
      for (const k in run.tags) tags.add(k);
    }
    if (after && order(row, after) <= 0) continue;
    remaining++;
    insertBounded(best, { row, run }, request.limit, order);
  }
  sortOnKnownKeys(sortKeys);
  const columns =
    request.columns ??
    [...[...params].sort().map((k) => `param.${k}`), ...[...metrics].sort().map((k) => `metric.${k}`)].slice(
      0,
      DEFAULT_COLUMN_LIMIT,
    );
  const page: RunsPage = {
    total,
    scanned,
    columns,
    rows: best.map(({ run }) => [
      run.name,
      run.state,
      run.createTime,
      run.updateTime,
      ...columns.map((c) => cell(run, c)),
    ]),
  };
  const last = best[best.length - 1];
  if (last && remaining > best.length) {
    page.next = encodeCursor(sortId, keys, last.row);
  }
  if (request.withColumns) {
    page.allColumns = {
      params: [...params].sort(),
      metrics: [...metrics].sort(),
      series: [...series].sort(),
      tags: [...tags].sort(),
    };
  }
  return page;
}

/** A sort on a param, metric, series or tag no matching run has is a 400, as the CLI's `--sort` is an error. */
function sortOnKnownKeys(check: ReturnType<typeof sortKeyCheck>): void {
  try {
    check.done();
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      throw new ApiError(400, "INVALID_PARAMETER", `Query parameter "sort": ${error.message}`, "sort");
    }
    throw error;
  }
}

function insertBounded(
  best: { row: FilterRow; run: RunRecord }[],
  item: { row: FilterRow; run: RunRecord },
  limit: number,
  order: (a: FilterRow, b: FilterRow) => number,
): void {
  if (best.length === limit && order(item.row, best[limit - 1]!.row) >= 0) return;
  let lo = 0;
  let hi = best.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order(best[mid]!.row, item.row) < 0) lo = mid + 1;
    else hi = mid;
  }
  best.splice(lo, 0, item);
  if (best.length > limit) best.pop();
}

function cell(run: RunRecord, column: string): Value | null {
  const dot = column.indexOf(".");
  const kind = column.slice(0, dot);
  const key = column.slice(dot + 1);
  if (kind === "param") return run.params[key] ?? null;
  if (kind === "metric") return run.metrics[key] ?? null;
  if (kind === "series") return run.latestTimeSeries?.[key]?.value ?? null;
  if (kind === "tag") return run.tags?.[key] ?? null;
  return null;
}

/** Checks the `columns` parameter: `param.K`, `metric.K` or `series.K`. */
export function checkColumns(columns: string[] | undefined, parameter = "columns"): string[] | undefined {
  if (!columns) return undefined;
  for (const c of columns) {
    if (!/^(param|metric|series|tag)\../.test(c)) {
      throw new ApiError(
        400,
        "INVALID_PARAMETER",
        `Query parameter "${parameter}": ${JSON.stringify(c.slice(0, 80))} is not param.KEY, metric.KEY, series.KEY or tag.KEY.`,
        parameter,
      );
    }
  }
  return columns;
}
