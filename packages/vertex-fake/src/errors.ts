import { status } from "@grpc/grpc-js";

/**
 * An error the fake answers with, as the real service would: a gRPC status code and the
 * service's message. Handlers throw it; the server turns it into the call's status.
 */
export class RpcError extends Error {
  readonly code: status;

  constructor(code: status, message: string) {
    super(message);
    this.code = code;
    this.name = "RpcError";
  }
}

/** Longest value a message quotes whole; a longer one (a 10,000-character id) is cut, its length named. */
const MAX_SHOWN = 80;

/** A value as an error message quotes it: whole when short, else its head and its length. */
export function shown(value: string): string {
  if (value.length <= MAX_SHOWN) return `"${value}"`;
  return `"${value.slice(0, MAX_SHOWN)}…" (${value.length} characters)`;
}

export function notFound(message: string): RpcError {
  return new RpcError(status.NOT_FOUND, message);
}

export function alreadyExists(message: string): RpcError {
  return new RpcError(status.ALREADY_EXISTS, message);
}

export function invalidArgument(message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, message);
}

export function aborted(message: string): RpcError {
  return new RpcError(status.ABORTED, message);
}

export function failedPrecondition(message: string): RpcError {
  return new RpcError(status.FAILED_PRECONDITION, message);
}
