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
