import { createHash } from "node:crypto";
import { invalidArgument } from "./errors.js";
import { compileFilter, type FieldValue, type FilterSchema } from "./filter.js";

export interface ListRequest {
  pageSize?: number;
  pageToken?: string;
  filter?: string;
  orderBy?: string;
}

export interface ListLimits {
  /** Page size when the request gives none. */
  defaultPageSize: number;
  /** Larger requested sizes are coerced to this. */
  maxPageSize: number;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

/**
 * Filters, orders and pages `items` (given in creation order) as a Vertex List method does.
 * The page token is opaque and bound to the parent, filter and order: reusing it with other
 * parameters is INVALID_ARGUMENT, as on the service.
 */
export function listPage<T>(
  items: T[],
  request: ListRequest,
  scope: string,
  schema: FilterSchema<T>,
  limits: ListLimits,
): Page<T> {
  const filter = request.filter ?? "";
  const orderBy = request.orderBy ?? "";
  const predicate = compileFilter(filter, schema);
  const matching = items.filter(predicate);
  const ordered = orderBy.trim() === "" ? matching : sortBy(matching, orderBy, schema);
  return paginate(ordered, request, `${scope}\n${filter}\n${orderBy}`, limits);
}

export function paginate<T>(items: T[], request: ListRequest, binding: string, limits: ListLimits): Page<T> {
  const pageSize = request.pageSize ?? 0;
  if (pageSize < 0) throw invalidArgument(`page_size must not be negative, got ${pageSize}.`);
  const size = pageSize === 0 ? limits.defaultPageSize : Math.min(pageSize, limits.maxPageSize);
  const offset = request.pageToken ? decodeToken(request.pageToken, binding) : 0;
  const slice = items.slice(offset, offset + size);
  const next = offset + slice.length;
  return { items: slice, nextPageToken: next < items.length ? encodeToken(next, binding) : "" };
}

function digest(binding: string): string {
  return createHash("sha256").update(binding).digest("base64url").slice(0, 12);
}

function encodeToken(offset: number, binding: string): string {
  return Buffer.from(`${offset}:${digest(binding)}`).toString("base64url");
}

function decodeToken(token: string, binding: string): number {
  const [offset, hash] = Buffer.from(token, "base64url").toString().split(":");
  const n = Number(offset);
  if (!Number.isInteger(n) || n < 0 || hash !== digest(binding)) {
    throw invalidArgument(
      `Invalid page_token "${token}": it does not belong to a list call with the same parent, filter and order_by.`,
    );
  }
  return n;
}

/** `order_by` as `field [asc|desc], …` over the schema's string, number and time fields. */
function sortBy<T>(items: T[], orderBy: string, schema: FilterSchema<T>): T[] {
  const keys = orderBy.split(",").map((part) => {
    const [field, direction = "asc", ...rest] = part.trim().split(/\s+/);
    const spec = field ? schema.fields(field.split(".")) : undefined;
    if (!spec || spec.type === "names" || rest.length > 0 || !/^(asc|desc)$/i.test(direction)) {
      throw invalidArgument(`Invalid order_by "${orderBy}".`);
    }
    return { get: spec.get, sign: direction.toLowerCase() === "desc" ? -1 : 1 };
  });
  return [...items].sort((a, b) => {
    for (const key of keys) {
      const c = compareValues(key.get(a), key.get(b));
      if (c !== 0) return c * key.sign;
    }
    return 0;
  });
}

function compareValues(a: FieldValue, b: FieldValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
