import { validateName } from "@exprun/core";

/** Codes of the JSON API's errors; stable, so that scripts can branch on them. */
export type ApiErrorCode =
  | "UNKNOWN_PARAMETER"
  | "INVALID_PARAMETER"
  | "BAD_FILTER"
  | "BAD_CURSOR"
  | "NOT_FOUND"
  | "FORBIDDEN_HOST"
  | "SHUTTING_DOWN"
  | "STORE_ERROR";

/** An error the API answers with `{ error: { code, message, parameter? } }` and an HTTP status. */
export class ApiError extends Error {
  readonly status: 400 | 403 | 404 | 500 | 502 | 503;
  readonly code: ApiErrorCode;
  readonly parameter: string | undefined;

  constructor(status: ApiError["status"], code: ApiErrorCode, message: string, parameter?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.parameter = parameter;
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; parameter?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.parameter === undefined ? {} : { parameter: this.parameter }),
      },
    };
  }
}

export function invalid(parameter: string, message: string): ApiError {
  return new ApiError(400, "INVALID_PARAMETER", `Query parameter "${parameter}": ${message}`, parameter);
}

/**
 * The query of one request, checked against the names the route accepts: an unknown or repeated
 * parameter is a 400, so that a typo (`?limt=10`) is never silently ignored.
 */
export class Query {
  readonly #params: URLSearchParams;

  constructor(url: string, allowed: readonly string[]) {
    this.#params = new URL(url).searchParams;
    const seen = new Set<string>();
    for (const key of this.#params.keys()) {
      if (!allowed.includes(key)) {
        throw new ApiError(
          400,
          "UNKNOWN_PARAMETER",
          `Unknown query parameter "${key.slice(0, 100)}". This route accepts: ${allowed.join(", ") || "none"}.`,
          key.slice(0, 100),
        );
      }
      if (seen.has(key)) throw invalid(key, "given more than once.");
      seen.add(key);
    }
  }

  /** A string of at most `maxLength` characters, or `undefined` when absent or empty. */
  text(name: string, maxLength: number): string | undefined {
    const value = this.#params.get(name);
    if (value === null || value === "") return undefined;
    if (value.length > maxLength) throw invalid(name, `longer than ${maxLength} characters.`);
    return value;
  }

  /** An integer in `[min, max]`; `fallback` when absent. */
  integer(name: string, options: { min: number; max: number; fallback: number }): number {
    const value = this.#params.get(name);
    if (value === null || value === "") return options.fallback;
    if (!/^-?\d{1,16}$/.test(value))
      throw invalid(name, `expected an integer, got ${JSON.stringify(value.slice(0, 40))}.`);
    const n = Number(value);
    if (n < options.min || n > options.max)
      throw invalid(name, `must be between ${options.min} and ${options.max}, got ${n}.`);
    return n;
  }

  /** A finite number, or `undefined` when absent. */
  number(name: string): number | undefined {
    const value = this.#params.get(name);
    if (value === null || value === "") return undefined;
    const n = Number(value);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) || !Number.isFinite(n))
      throw invalid(name, `expected a finite number, got ${JSON.stringify(value.slice(0, 40))}.`);
    return n;
  }

  /** One of `values`; `fallback` when absent. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.#params.get(name);
    if (value === null || value === "") return fallback;
    if (!(values as readonly string[]).includes(value))
      throw invalid(name, `expected one of ${values.join(", ")}, got ${JSON.stringify(value.slice(0, 40))}.`);
    return value as T;
  }

  /** `true` for `1`/`true`, `false` for `0`/`false`; `fallback` when absent. */
  flag(name: string, fallback: boolean): boolean {
    const value = this.#params.get(name);
    if (value === null || value === "") return fallback;
    if (value === "1" || value === "true") return true;
    if (value === "0" || value === "false") return false;
    throw invalid(name, `expected 1, 0, true or false, got ${JSON.stringify(value.slice(0, 40))}.`);
  }

  /** A comma-separated list of at most `maxItems` non-empty items of at most `maxLength` characters. */
  list(name: string, options: { maxItems: number; maxLength: number }): string[] | undefined {
    const value = this.#params.get(name);
    if (value === null) return undefined;
    const items = value === "" ? [] : value.split(",");
    if (items.length > options.maxItems)
      throw invalid(name, `at most ${options.maxItems} items, got ${items.length}.`);
    for (const item of items) {
      if (item === "") throw invalid(name, "has an empty item (two commas in a row, or a trailing comma).");
      if (item.length > options.maxLength)
        throw invalid(name, `an item is longer than ${options.maxLength} characters.`);
    }
    return items;
  }

  /** Run names: core's name rule, checked per item. */
  runNames(name: string, options: { maxItems: number; required: boolean }): string[] {
    const names = this.list(name, { maxItems: options.maxItems, maxLength: 200 }) ?? [];
    if (options.required && names.length === 0) throw invalid(name, "give at least one run name.");
    for (const run of names) checkName("run", run, name);
    return [...new Set(names)];
  }
}

/** Checks an experiment or run name from a path or query with core's rule; a 400 naming the part. */
export function checkName(kind: "experiment" | "run", value: string, parameter: string): string {
  try {
    validateName(kind, value);
  } catch (error) {
    throw invalid(parameter, error instanceof Error ? error.message : String(error));
  }
  return value;
}
