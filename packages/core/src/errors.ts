import { redactErrorChain, redactSecrets } from "./secrets.js";

export { redactSecrets } from "./secrets.js";

/**
 * Every error exprun throws on purpose. Each carries a stable `code` that programs can branch on,
 * and a message that names the package, the backend (when one is involved) and the fix.
 */

export type ErrorCode =
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "VALIDATION"
  | "INVALID_TYPE"
  | "CONFLICT"
  | "BACKEND"
  | "CLOSED";

const ERROR_CODES: readonly ErrorCode[] = [
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "VALIDATION",
  "INVALID_TYPE",
  "CONFLICT",
  "BACKEND",
  "CLOSED",
];

export interface ErrorOptions {
  /** The backend the error comes from, e.g. `"file"`; printed in the message. */
  backend?: string;
  cause?: unknown;
}

function prefix(backend: string | undefined): string {
  return backend ? `[exprun] [${backend}] ` : "[exprun] ";
}

/** Base class of every exprun error except {@link InvalidTypeError} (which is a `TypeError`). */
export class ExprunError extends Error {
  readonly code: ErrorCode;
  readonly backend: string | undefined;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(
      prefix(options.backend) + message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.backend = options.backend;
    this.name = new.target.name;
  }
}

/** The experiment, run, artifact or execution does not exist. */
export class NotFoundError extends ExprunError {
  constructor(message: string, options?: ErrorOptions) {
    super("NOT_FOUND", message, options);
  }
}

/** Creating something whose name is taken. */
export class AlreadyExistsError extends ExprunError {
  constructor(message: string, options?: ErrorOptions) {
    super("ALREADY_EXISTS", message, options);
  }
}

/** Input that Python's SDK rejects with `ValueError`: checked before anything is written. */
export class ValidationError extends ExprunError {
  constructor(message: string, options?: ErrorOptions) {
    super("VALIDATION", message, options);
  }
}

/** A write lost a race it could not win by retrying (for example a run deleted while being updated). */
export class ConflictError extends ExprunError {
  constructor(message: string, options?: ErrorOptions) {
    super("CONFLICT", message, options);
  }
}

/**
 * A storage or transport failure. `cause` holds the original error; the message never contains
 * credentials (see {@link redactSecrets}).
 */
export class BackendError extends ExprunError {
  constructor(message: string, options?: ErrorOptions) {
    if (options?.cause !== undefined) redactErrorChain(options.cause);
    super("BACKEND", redactSecrets(message), options);
  }
}

/**
 * A call to a backend after its `close()` resolved. The same class, code and message on every store:
 * open a new backend to continue.
 */
export class BackendClosedError extends ExprunError {
  constructor(backend: string) {
    super(
      "CLOSED",
      `This ${backend} backend was closed, so it cannot be used any more. Open a new one ` +
        "(its create function, or openBackend(uri)) to continue.",
      { backend },
    );
  }
}

/**
 * Where Python raises `TypeError` (a key that is not a string, a value that is not a number or
 * string), exprun throws this: it is a `TypeError`, with a stable `code`.
 */
export class InvalidTypeError extends TypeError {
  readonly code = "INVALID_TYPE" as const;

  constructor(message: string) {
    super(prefix(undefined) + message);
    this.name = "InvalidTypeError";
  }
}

/** True when `error` is an exprun error with the given code (works across package copies). */
export function isExprunError(error: unknown, code?: ErrorCode): error is ExprunError {
  if (typeof error !== "object" || error === null) return false;
  const c = (error as { code?: unknown }).code;
  if (typeof c !== "string") return false;
  return (ERROR_CODES as readonly string[]).includes(c) && (code === undefined || c === code);
}
